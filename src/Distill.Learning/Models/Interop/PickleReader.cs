using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Distill.Learning.Models.Interop;

/// <summary>A Python global the reader does not build (any class or function but the few torch.save needs): its name only.</summary>
public sealed record PickledGlobal(string Module, string Name)
{
    public string FullName => $"{Module}.{Name}";
}

/// <summary>An object of a class the reader does not build: its class and arguments, kept as data and never executed.</summary>
public sealed class PickledObject(PickledGlobal type, IReadOnlyList<object?> arguments)
{
    public PickledGlobal Type { get; } = type;
    public IReadOnlyList<object?> Arguments { get; } = arguments;
    public object? State { get; set; }
}

/// <summary>
/// Reads one Python pickle (protocols 0-5) into plain data: None, bool, long, BigInteger, double, string, byte[],
/// object?[] (tuples), List (lists and sets), Dictionary (dicts and OrderedDicts). It never runs Python code:
/// a global becomes a <see cref="PickledGlobal"/>, calling it a <see cref="PickledObject"/>, unless
/// <paramref name="call"/> builds it (torch.save's tensors); persistent ids go to <paramref name="persistentLoad"/>.
/// Razorvine.Pickle is not used because its constructors are one registry for the whole process, which TorchSharp.PyBridge
/// fills with its own.
/// </summary>
public sealed class PickleReader(
    Stream input,
    Func<object?, object?> persistentLoad,
    Func<PickledGlobal, IReadOnlyList<object?>, object?>? call = null)
{
    private readonly BinaryReader _in = new(input, Encoding.Latin1, leaveOpen: true);
    private readonly Dictionary<long, object?> _memo = [];
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private static readonly object Mark = new();

    /// <summary>The object the pickle holds; the stream is left just past its STOP.</summary>
    public object? Load()
    {
        while (true)
        {
            int code = _in.BaseStream.ReadByte();
            if (code < 0) throw new InvalidDataException("the pickle ends before its STOP opcode");
            if (code == '.') return Pop();
            Step((byte)code);
        }
    }

    private void Step(byte code)
    {
        switch (code)
        {
            case 0x80: _in.ReadByte(); break;                                   // PROTO
            case 0x95: _in.ReadInt64(); break;                                  // FRAME: frames are only a read-ahead hint
            case (byte)'(': _marks.Push(_stack.Count); break;                   // MARK
            case (byte)'0': Pop(); break;                                       // POP
            case (byte)'1': PopMark(); break;                                   // POP_MARK
            case (byte)'2': Push(_stack[^1]); break;                            // DUP
            case (byte)'N': Push(null); break;
            case 0x88: Push(true); break;
            case 0x89: Push(false); break;
            case (byte)'J': Push((long)_in.ReadInt32()); break;                 // BININT
            case (byte)'K': Push((long)_in.ReadByte()); break;                  // BININT1
            case (byte)'M': Push((long)_in.ReadUInt16()); break;                // BININT2
            case 0x8a: Push(Integer(_in.ReadBytes(_in.ReadByte()))); break;     // LONG1
            case 0x8b: Push(Integer(_in.ReadBytes(_in.ReadInt32()))); break;    // LONG4
            case (byte)'I': Push(TextInteger(Line())); break;                   // INT (protocol 0; "01"/"00" are bools)
            case (byte)'L': Push(Normalise(BigInteger.Parse(Line().TrimEnd('L')))); break;
            case (byte)'F': Push(double.Parse(Line(), System.Globalization.CultureInfo.InvariantCulture)); break;
            case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(_in.ReadBytes(8))); break;
            case (byte)'X': Push(Encoding.UTF8.GetString(Bytes(_in.ReadUInt32()))); break;     // BINUNICODE
            case 0x8c: Push(Encoding.UTF8.GetString(Bytes(_in.ReadByte()))); break;           // SHORT_BINUNICODE
            case 0x8d: Push(Encoding.UTF8.GetString(Bytes(_in.ReadInt64()))); break;           // BINUNICODE8
            case (byte)'U': Push(Encoding.Latin1.GetString(Bytes(_in.ReadByte()))); break;     // SHORT_BINSTRING (Python 2 str)
            case (byte)'T': Push(Encoding.Latin1.GetString(Bytes(_in.ReadUInt32()))); break;   // BINSTRING
            case (byte)'C': Push(Bytes(_in.ReadByte())); break;                                // SHORT_BINBYTES
            case (byte)'B': Push(Bytes(_in.ReadUInt32())); break;                              // BINBYTES
            case 0x8e: Push(Bytes(_in.ReadInt64())); break;                                    // BINBYTES8
            case (byte)'V': Push(Line()); break;                                               // UNICODE (protocol 0)
            case (byte)')': Push(Array.Empty<object?>()); break;
            case (byte)'t': Push(PopMark().ToArray()); break;
            case 0x85: Push(new[] { Pop() }); break;
            case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; }
            case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; }
            case (byte)']': Push(new List<object?>()); break;
            case (byte)'l': Push(PopMark()); break;                                            // LIST
            case (byte)'a': { var item = Pop(); List().Add(item); break; }                    // APPEND
            case (byte)'e': { var items = PopMark(); List().AddRange(items); break; }         // APPENDS
            case 0x8f: Push(new List<object?>()); break;                                      // EMPTY_SET (as a list)
            case 0x90: { var items = PopMark(); List().AddRange(items); break; }              // ADDITEMS
            case 0x91: Push(PopMark()); break;                                                // FROZENSET
            case (byte)'}': Push(new Dictionary<object, object?>()); break;
            case (byte)'d': Push(Dict(PopMark())); break;                                     // DICT
            case (byte)'s': { var v = Pop(); var k = Pop(); SetItems(Dictionary(), [k, v]); break; }
            case (byte)'u': { var items = PopMark(); SetItems(Dictionary(), items); break; }
            case (byte)'c': Push(Global(Line(), Line())); break;                              // GLOBAL
            case 0x93: { var name = (string)Pop()!; Push(Global((string)Pop()!, name)); break; }  // STACK_GLOBAL
            case (byte)'R': { var args = (object?[])Pop()!; Push(Call(Pop(), args)); break; } // REDUCE
            case 0x81: { var args = (object?[])Pop()!; Push(Call(Pop(), args)); break; }     // NEWOBJ
            case 0x92: { Pop(); var args = (object?[])Pop()!; Push(Call(Pop(), args)); break; } // NEWOBJ_EX (keyword arguments dropped)
            case (byte)'b': Build(Pop()); break;
            case (byte)'q': _memo[_in.ReadByte()] = _stack[^1]; break;                        // BINPUT
            case (byte)'r': _memo[_in.ReadUInt32()] = _stack[^1]; break;                      // LONG_BINPUT
            case (byte)'p': _memo[long.Parse(Line())] = _stack[^1]; break;                    // PUT
            case 0x94: _memo[_memo.Count] = _stack[^1]; break;                                // MEMOIZE
            case (byte)'h': Push(Memo(_in.ReadByte())); break;                                // BINGET
            case (byte)'j': Push(Memo(_in.ReadUInt32())); break;                              // LONG_BINGET
            case (byte)'g': Push(Memo(long.Parse(Line()))); break;                            // GET
            case (byte)'Q': Push(persistentLoad(Pop())); break;                               // BINPERSID
            case (byte)'P': Push(persistentLoad(Line())); break;                              // PERSID
            default:
                throw new InvalidDataException($"pickle opcode 0x{code:x2} at byte {_in.BaseStream.Position - 1} is not one torch.save writes");
        }
    }

    private object? Call(object? callable, object?[] args) => callable switch
    {
        PickledGlobal { Module: "collections", Name: "OrderedDict" } => new Dictionary<object, object?>(),
        PickledGlobal { Name: "set" or "frozenset" } => args.Length == 0 ? new List<object?>() : new List<object?>((IEnumerable<object?>)args[0]!),
        PickledGlobal { Module: "_codecs", Name: "encode" } => Encoding.Latin1.GetBytes((string)args[0]!), // bytes in protocol 2
        PickledGlobal global when call?.Invoke(global, args) is { } built => built,
        PickledGlobal global => new PickledObject(global, args),
        _ => throw new InvalidDataException($"the pickle calls {callable?.GetType().Name ?? "None"}, which is not a class or function"),
    };

    /// <summary>BUILD: an object of an unknown class keeps its state; a container's attributes (an OrderedDict's _metadata) are dropped.</summary>
    private void Build(object? state)
    {
        if (_stack[^1] is PickledObject o) o.State = state;
    }

    private static PickledGlobal Global(string module, string name) => new(module, name);

    private static object Dict(List<object?> items)
    {
        var dict = new Dictionary<object, object?>();
        SetItems(dict, items);
        return dict;
    }

    private static void SetItems(Dictionary<object, object?> dict, List<object?> items)
    {
        for (int i = 0; i + 1 < items.Count; i += 2)
            dict[items[i] ?? throw new InvalidDataException("a pickled dict has the key None")] = items[i + 1];
    }

    private List<object?> List() => _stack[^1] as List<object?> ?? throw new InvalidDataException("the pickle appends to something that is not a list");

    private Dictionary<object, object?> Dictionary() =>
        _stack[^1] as Dictionary<object, object?> ?? throw new InvalidDataException("the pickle sets an item of something that is not a dict");

    private object? Memo(long key) => _memo.TryGetValue(key, out var value) ? value : throw new InvalidDataException($"the pickle reads memo {key} before writing it");

    private void Push(object? value) => _stack.Add(value);

    private object? Pop()
    {
        if (_stack.Count == 0 || ReferenceEquals(_stack[^1], Mark)) throw new InvalidDataException("the pickle pops an empty stack");
        var value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private List<object?> PopMark()
    {
        if (_marks.Count == 0) throw new InvalidDataException("the pickle closes a MARK it never opened");
        int start = _marks.Pop();
        var items = _stack.GetRange(start, _stack.Count - start);
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    private byte[] Bytes(long count)
    {
        if (count < 0 || count > Array.MaxLength) throw new InvalidDataException($"a pickled string of {count} bytes");
        var bytes = _in.ReadBytes((int)count);
        if (bytes.Length != count) throw new InvalidDataException("the pickle ends inside a string");
        return bytes;
    }

    private string Line()
    {
        var line = new StringBuilder();
        for (int b = _in.BaseStream.ReadByte(); b != '\n'; b = _in.BaseStream.ReadByte())
        {
            if (b < 0) throw new InvalidDataException("the pickle ends inside a text line");
            line.Append((char)b);
        }
        return line.ToString();
    }

    private static object TextInteger(string text) => text switch
    {
        "01" => true,
        "00" => false,
        _ => Normalise(BigInteger.Parse(text)),
    };

    /// <summary>Little-endian two's complement, as LONG1 and LONG4 store it.</summary>
    private static object Integer(byte[] bytes) => Normalise(new BigInteger(bytes, isUnsigned: false, isBigEndian: false));

    private static object Normalise(BigInteger value) => value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
}
