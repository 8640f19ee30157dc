using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Distill.Runs;

/// <summary>
/// The NumPy .npy header for a 2-D little-endian float32 C-order array
/// (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html). Only this one layout is
/// produced and accepted: it is what the logit cache stores.
/// </summary>
public static class NpyHeader
{
    /// <summary>0x93 followed by "NUMPY" (not a u8 literal: that would encode U+0093 as two UTF-8 bytes).</summary>
    public static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>NumPy pads headers so the data starts at a multiple of 64 bytes (its ARRAY_ALIGN).</summary>
    public const int Alignment = 64;

    public const string Float32Descr = "<f4";

    /// <summary>
    /// The complete header (magic, version 1.0, length, dict, space padding, '\n') exactly as
    /// <c>numpy.save</c> writes it for a float32 array of shape (rows, columns).
    /// </summary>
    public static byte[] Build(long rows, long columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        return Build(Float32Descr, [rows, columns]);
    }

    /// <summary>The header for an array of dtype <paramref name="descr"/> (e.g. '&lt;i8') and any shape, as numpy.save writes it.</summary>
    public static byte[] Build(string descr, IReadOnlyList<long> shape)
    {
        var dims = shape.Count == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        var dict = string.Create(CultureInfo.InvariantCulture,
            $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}");
        const int prefix = 6 + 2 + 2; // magic, version, uint16 header length
        var unpadded = prefix + dict.Length + 1; // + '\n'
        var total = (unpadded + Alignment - 1) / Alignment * Alignment;
        var headerLength = total - prefix;

        var bytes = new byte[total];
        Magic.CopyTo(bytes);
        bytes[6] = 1;
        bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), checked((ushort)headerLength));
        var text = Encoding.ASCII.GetBytes(dict.PadRight(headerLength - 1) + "\n");
        text.CopyTo(bytes, prefix);
        return bytes;
    }

    /// <summary>Parsed header: data offset and shape.</summary>
    public readonly record struct Parsed(long DataOffset, long Rows, long Columns);

    /// <summary>
    /// Parses and validates the header at the start of <paramref name="stream"/>: magic, version (1.0, 2.0, 3.0),
    /// descr '&lt;f4', fortran_order False, a 2-D shape. Errors are <see cref="RunFormatException"/>s naming <paramref name="filePath"/>.
    /// </summary>
    public static Parsed Read(Stream stream, string filePath)
    {
        var any = ReadAny(stream, filePath);
        if (any.Descr != Float32Descr)
            throw new RunFormatException(filePath, $"dtype is '{any.Descr}', expected little-endian float32 ('{Float32Descr}')");
        if (any.Shape.Count != 2)
            throw new RunFormatException(filePath, $"shape is ({string.Join(", ", any.Shape)}), expected two dimensions (rows, columns)");
        return new Parsed(any.DataOffset, any.Shape[0], any.Shape[1]);
    }

    /// <summary>A header of any dtype and shape: where the data starts, the dtype string and the shape.</summary>
    public readonly record struct ParsedAny(long DataOffset, string Descr, IReadOnlyList<long> Shape);

    /// <summary>Parses a header of any dtype and shape (C order only); errors are <see cref="RunFormatException"/>s.</summary>
    public static ParsedAny ReadAny(Stream stream, string filePath)
    {
        Span<byte> prefix = stackalloc byte[12];
        var got = stream.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false);
        if (got < 10 || !prefix[..6].SequenceEqual(Magic))
            throw new RunFormatException(filePath, "not a NumPy .npy file (the magic string \\x93NUMPY is missing)");

        int major = prefix[6], minor = prefix[7];
        long headerStart, headerLength;
        Encoding encoding;
        switch (major)
        {
            case 1:
                headerStart = 10;
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..]);
                encoding = Encoding.Latin1;
                break;
            case 2 or 3 when got >= 12:
                headerStart = 12;
                headerLength = BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
                encoding = major == 2 ? Encoding.Latin1 : Encoding.UTF8;
                break;
            default:
                throw new RunFormatException(filePath, $".npy format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are)");
        }
        if (minor != 0) throw new RunFormatException(filePath, $".npy format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are)");
        if (headerLength > 1 << 20) throw new RunFormatException(filePath, $".npy header claims {headerLength} bytes, which is implausible");

        var header = new byte[headerLength];
        stream.Position = headerStart;
        if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) != header.Length)
            throw new RunFormatException(filePath, $"truncated inside the .npy header ({headerStart + headerLength} header bytes expected, file has {stream.Length})");

        var dict = PythonDict.Parse(encoding.GetString(header).TrimEnd(' ', '\n', '\0'), filePath);
        if (dict.GetValueOrDefault("descr") is not string descr)
            throw new RunFormatException(filePath, $"dtype is {Describe(dict.GetValueOrDefault("descr"))}, expected a dtype string such as '{Float32Descr}'");
        if (dict.GetValueOrDefault("fortran_order") is not false)
            throw new RunFormatException(filePath, "array is stored in Fortran (column-major) order or the order is missing; expected C order");
        if (dict.GetValueOrDefault("shape") is not List<long> shape)
            throw new RunFormatException(filePath, $"shape is {Describe(dict.GetValueOrDefault("shape"))}, expected a tuple of sizes");

        return new ParsedAny(headerStart + headerLength, descr, shape);
    }

    private static string Describe(object? value) => value switch
    {
        null => "missing",
        string s => $"'{s}'",
        List<long> l => $"({string.Join(", ", l)})",
        _ => value.ToString() ?? "?",
    };

    /// <summary>
    /// The tiny subset of Python literal syntax that .npy headers use: a dict of string keys to strings,
    /// True/False and tuples of non-negative integers.
    /// </summary>
    private ref struct PythonDict
    {
        private readonly string _text;
        private readonly string _file;
        private int _pos;

        private PythonDict(string text, string file)
        {
            _text = text;
            _file = file;
            _pos = 0;
        }

        public static Dictionary<string, object> Parse(string text, string file)
        {
            var parser = new PythonDict(text, file);
            var result = parser.ParseDict();
            parser.SkipSpace();
            if (parser._pos != text.Length) throw parser.Error("unexpected text after the header dict");
            return result;
        }

        private Dictionary<string, object> ParseDict()
        {
            Expect('{');
            var dict = new Dictionary<string, object>(StringComparer.Ordinal);
            while (true)
            {
                SkipSpace();
                if (TryTake('}')) return dict;
                var key = ParseString();
                SkipSpace();
                Expect(':');
                SkipSpace();
                if (!dict.TryAdd(key, ParseValue())) throw Error($"key '{key}' appears twice");
                SkipSpace();
                if (TryTake('}')) return dict;
                Expect(',');
            }
        }

        private object ParseValue()
        {
            if (_pos >= _text.Length) throw Error("unexpected end of header");
            var c = _text[_pos];
            if (c is '\'' or '"') return ParseString();
            if (c == '(') return ParseTuple();
            if (Match("True")) return true;
            if (Match("False")) return false;
            throw Error($"unexpected '{c}'");
        }

        private List<long> ParseTuple()
        {
            Expect('(');
            var items = new List<long>();
            while (true)
            {
                SkipSpace();
                if (TryTake(')')) return items;
                var start = _pos;
                while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos])) _pos++;
                if (start == _pos || !long.TryParse(_text.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                    throw Error("expected a non-negative integer in the shape");
                items.Add(n);
                SkipSpace();
                if (TryTake(')')) return items;
                Expect(',');
            }
        }

        private string ParseString()
        {
            if (_pos >= _text.Length || _text[_pos] is not ('\'' or '"')) throw Error("expected a quoted string");
            var quote = _text[_pos++];
            var end = _text.IndexOf(quote, _pos);
            if (end < 0) throw Error("unterminated string");
            var s = _text[_pos..end];
            _pos = end + 1;
            return s;
        }

        private bool Match(string word)
        {
            if (string.CompareOrdinal(_text, _pos, word, 0, word.Length) != 0) return false;
            _pos += word.Length;
            return true;
        }

        private void SkipSpace()
        {
            while (_pos < _text.Length && _text[_pos] == ' ') _pos++;
        }

        private bool TryTake(char c)
        {
            if (_pos < _text.Length && _text[_pos] == c) { _pos++; return true; }
            return false;
        }

        private void Expect(char c)
        {
            if (!TryTake(c)) throw Error($"expected '{c}'");
        }

        private readonly RunFormatException Error(string what) =>
            new(_file, $"malformed .npy header at character {_pos}: {what} (header: {_text})");
    }
}
