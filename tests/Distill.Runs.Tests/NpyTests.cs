using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Distill.Runs.Tests;

public class NpyTests
{
    private static float[] Values(long rows, int columns) =>
        Enumerable.Range(0, checked((int)(rows * columns))).Select(i => MathF.Sin(i * 0.37f) * (i + 1) - 0.5f).ToArray();

    [Fact]
    public void Header_is_numpys_exact_text_padded_to_64_bytes()
    {
        var header = NpyHeader.Build(10000, 10);

        Assert.Equal(0, header.Length % 64);
        Assert.Equal(128, header.Length);
        Assert.Equal([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59], header[..6]);
        Assert.Equal([1, 0], header[6..8]);
        Assert.Equal(header.Length - 10, BitConverter.ToUInt16(header, 8));
        var text = Encoding.ASCII.GetString(header, 10, header.Length - 10);
        const string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (10000, 10), }";
        Assert.Equal(dict + new string(' ', text.Length - dict.Length - 1) + "\n", text);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 10)]
    [InlineData(1000, 100)]
    [InlineData(0, 5)]
    public void Written_arrays_read_back_identically(long rows, int columns)
    {
        using var dir = new TempDirectory();
        var path = dir.File("logits.npy");
        var values = Values(rows, columns);

        NpyWriter.Write(path, values, rows, columns);

        using var npy = NpyFile.Open(path);
        Assert.Equal(rows, npy.Rows);
        Assert.Equal(columns, npy.Columns);
        Assert.Equal(0, npy.DataOffset % 64);
        Assert.Equal(npy.DataOffset + values.Length * 4L, new FileInfo(path).Length);
        Assert.Equal(values, npy.GetRows(0, (int)rows).ToArray());
    }

    [Fact]
    public void Rows_stream_in_and_gather_picks_rows_in_the_given_order()
    {
        using var dir = new TempDirectory();
        var path = dir.File("logits.npy");
        var values = Values(50, 4);
        using (var writer = NpyWriter.Create(path, 50, 4))
        {
            for (var r = 0; r < 50; r += 10) writer.AppendRows(values.AsSpan(r * 4, 40));
            Assert.False(File.Exists(path)); // nothing visible before commit
            writer.Commit();
        }

        using var npy = NpyFile.Open(path);
        Assert.Equal(values.AsSpan(17 * 4, 4).ToArray(), npy.GetRows(17, 1).ToArray());
        var destination = new float[3 * 4];
        npy.GatherRows([49, 0, 17], destination);
        Assert.Equal(values.AsSpan(49 * 4, 4).ToArray(), destination[..4]);
        Assert.Equal(values.AsSpan(0, 4).ToArray(), destination[4..8]);
        Assert.Equal(values.AsSpan(17 * 4, 4).ToArray(), destination[8..]);

        Assert.Throws<ArgumentOutOfRangeException>(() => npy.GatherRows([50], new float[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => npy.GatherRows([-1], new float[4]));
        Assert.Throws<ArgumentException>(() => npy.GatherRows([1, 2], new float[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => npy.GetRows(45, 6));
    }

    [Fact]
    public void Writer_with_missing_rows_refuses_to_commit_and_leaves_nothing()
    {
        using var dir = new TempDirectory();
        var path = dir.File("logits.npy");
        using (var writer = NpyWriter.Create(path, 3, 2))
        {
            writer.AppendRows([1, 2, 3, 4]);
            var error = Assert.Throws<InvalidOperationException>(writer.Commit);
            Assert.Contains("declares 3 rows but 2 were appended", error.Message);
            Assert.Throws<InvalidOperationException>(() => writer.AppendRows([1, 2, 3, 4]));
            Assert.Throws<ArgumentException>(() => writer.AppendRows([1, 2, 3]));
        }
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Truncated_file_error_names_file_and_sizes()
    {
        using var dir = new TempDirectory();
        var path = dir.File("logits.npy");
        NpyWriter.Write(path, Values(100, 10), 100, 10);
        var full = new FileInfo(path).Length;
        using (var stream = new FileStream(path, FileMode.Open)) stream.SetLength(full - 40);

        var error = Assert.Throws<RunFormatException>(() => NpyFile.Open(path));

        Assert.Equal(path, error.FilePath);
        Assert.Contains(path, error.Message);
        Assert.Contains("truncated", error.Message);
        Assert.Contains($"needs {full} bytes", error.Message);
        Assert.Contains($"file has {full - 40} bytes", error.Message);
    }

    [Fact]
    public void Wrong_magic_is_rejected()
    {
        using var dir = new TempDirectory();
        var path = dir.File("not.npy");
        var bytes = NpyHeader.Build(1, 1).Concat(new byte[4]).ToArray();
        bytes[1] = (byte)'X';
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<RunFormatException>(() => NpyFile.Open(path));
        Assert.Contains("magic", error.Message);
        Assert.StartsWith(path, error.Message);
    }

    [Theory]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", "dtype is '<f8'")]
    [InlineData("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", "dtype is '>f4'")]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", "Fortran")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", "shape is (4)")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), ", "malformed .npy header")]
    public void Unsupported_headers_are_rejected_with_the_reason(string dict, string expected)
    {
        using var dir = new TempDirectory();
        var path = dir.File("x.npy");
        var headerText = Encoding.ASCII.GetBytes(dict.PadRight(64 - 10 - 1) + "\n");
        var bytes = NpyHeader.Magic.ToArray().Concat(new byte[] { 1, 0 }).Concat(BitConverter.GetBytes((ushort)headerText.Length))
            .Concat(headerText).Concat(new byte[16]).ToArray();
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<RunFormatException>(() => NpyFile.Open(path));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Version_2_header_is_accepted()
    {
        using var dir = new TempDirectory();
        var path = dir.File("v2.npy");
        var headerText = Encoding.ASCII.GetBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }".PadRight(64 - 12 - 1) + "\n");
        var bytes = NpyHeader.Magic.ToArray().Concat(new byte[] { 2, 0 }).Concat(BitConverter.GetBytes((uint)headerText.Length))
            .Concat(headerText).Concat(BitConverter.GetBytes(1.5f)).Concat(BitConverter.GetBytes(-2f)).ToArray();
        File.WriteAllBytes(path, bytes);

        using var npy = NpyFile.Open(path);
        Assert.Equal([1.5f, -2f], npy.GetRows(0, 1).ToArray());
    }

    [SkippableFact]
    public void Numpy_reads_our_file_and_we_read_numpys()
    {
        // Reported as skipped, never passed, where python3 + numpy are missing (tools/setup.sh --tests installs them).
        var python = FindPythonWithNumpy(out var why);
        Skip.If(python is null, $"numpy interop not checked: {why}");

        using var dir = new TempDirectory();
        var ours = dir.File("ours.npy");
        var theirs = dir.File("theirs.npy");
        var values = Values(37, 10);
        NpyWriter.Write(ours, values, 37, 10);
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())));

        var script = $$"""
            import hashlib, numpy
            a = numpy.load({{PyString(ours)}}, mmap_mode="r")
            print(a.shape[0], a.shape[1], a.dtype.str, bool(a.flags.c_contiguous), hashlib.sha256(a.tobytes()).hexdigest())
            print(" ".join(repr(float(x)) for x in a[36]))
            numpy.save({{PyString(theirs)}}, (numpy.arange(12, dtype=numpy.float32).reshape(3, 4) / 8 - 0.5))
            """;
        var lines = RunPython(python, script).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        var first = lines[0].Split(' ');
        Assert.Equal(["37", "10", "<f4", "True", hash], first);
        // repr() of a double round-trips exactly, and the double holds the float32 exactly, so the cast is exact.
        var lastRow = lines[1].Split(' ').Select(r => (float)double.Parse(r, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(values.AsSpan(36 * 10, 10).ToArray(), lastRow);

        using var npy = NpyFile.Open(theirs);
        Assert.Equal((3L, 4), (npy.Rows, npy.Columns));
        Assert.Equal(NpyHeader.Build(3, 4), File.ReadAllBytes(theirs)[..(int)npy.DataOffset]); // byte-identical header
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i / 8f - 0.5f).ToArray(), npy.GetRows(0, 3).ToArray());
    }

    private static string PyString(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    /// <summary>
    /// The first interpreter that imports numpy: the one on PATH, then the system one (Debian's python3-numpy
    /// installs for /usr/bin/python3, which a pyenv or venv on PATH may hide).
    /// </summary>
    private static string? FindPythonWithNumpy(out string why)
    {
        why = "";
        foreach (var candidate in new[] { "python3", "/usr/bin/python3" })
        {
            try
            {
                RunPython(candidate, "import numpy");
                return candidate;
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                var line = e.Message.Split('\n').LastOrDefault(l => l.Contains("Error", StringComparison.Ordinal)) ?? e.Message;
                why += (why.Length > 0 ? "; " : "") + $"{candidate}: {line.Trim()}";
            }
        }
        return null;
    }

    private static string RunPython(string python, string script)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        process.StandardInput.Write(script);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"python3 exited with {process.ExitCode}:\n{stderr}");
        return stdout.Result;
    }
}

public class NpyVectorTests
{
    [Fact]
    public void Int64_vectors_round_trip_with_numpys_header()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "labels.npy");
        NpyVector.WriteInt64(path, [3, -1, long.MaxValue]);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(152, bytes.Length); // numpy.save of numpy.array([3, -1, 2**63 - 1]) is 152 bytes: a 128-byte header, 24 of data
        Assert.StartsWith("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", System.Text.Encoding.ASCII.GetString(bytes, 10, 118));
        Assert.Equal([3L, -1L, long.MaxValue], NpyVector.ReadInt64(path));
    }

    [Fact]
    public void Narrower_integer_types_read_as_int64_and_two_dimensions_are_refused()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "small.npy");
        File.WriteAllBytes(path, [.. NpyHeader.Build("<i4", [2]), 7, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
        Assert.Equal([7L, -1L], NpyVector.ReadInt64(path));
        File.WriteAllBytes(path, [.. NpyHeader.Build("<i8", [1, 1]), .. new byte[8]]);
        Assert.Contains("expected one dimension", Assert.Throws<RunFormatException>(() => NpyVector.ReadInt64(path)).Message);
    }
}
