using System.IO.Compression;
using System.Numerics;
using static TorchSharp.torch;

namespace Distill.Learning.Models.Interop;

/// <summary>A storage of a torch.save file: its key in the file, element type and length, and where a view of it starts.</summary>
public sealed record TorchStorage(string Key, ScalarType Type, long Elements, long ViewOffset = 0);

/// <summary>A tensor of a torch.save file, not read yet: where in which storage its elements lie.</summary>
public sealed record StoredTensor(TorchStorage Storage, long Offset, long[] Shape, long[] Stride)
{
    public override string ToString() => $"{Storage.Type} [{string.Join(", ", Shape)}]";
}

/// <summary>
/// A file written by torch.save, in either format: the zip format of PyTorch 1.6 and later, or the legacy format before
/// it (PyTorch 0.4 to 1.5, and later versions with _use_new_zipfile_serialization=False): a pickle with the tensors'
/// bytes after it. <see cref="Root"/> is the saved object as plain data (<see cref="PickleReader"/>) with a
/// <see cref="StoredTensor"/> for every tensor; <see cref="Read"/> reads one. Only data is read: no Python runs, as
/// with torch.load(weights_only=True).
/// </summary>
public sealed class TorchSaveFile : IDisposable
{
    // The first pickle of a legacy file (torch/serialization.py's MAGIC_NUMBER) and its format version.
    private static readonly BigInteger LegacyMagic = BigInteger.Parse("119547037146038801333356");
    private const long LegacyProtocol = 1001;

    private readonly Stream _stream;
    private readonly ZipArchive? _zip;
    private readonly Dictionary<string, string> _zipEntries = [];
    private readonly Dictionary<string, long> _legacyData = [];

    public object? Root { get; }

    /// <summary>"zip" or "legacy (pre-1.6)", for messages.</summary>
    public string Format => _zip is null ? "legacy (pre-1.6) torch.save format" : "zip torch.save format";

    private TorchSaveFile(string path)
    {
        _stream = File.OpenRead(path);
        try
        {
            Span<byte> head = stackalloc byte[4];
            if (_stream.Read(head) < 2) throw new InvalidDataException("the file is empty or too short to be a torch.save file");
            _stream.Position = 0;
            if (head[0] == (byte)'P' && head[1] == (byte)'K')
            {
                _zip = new ZipArchive(_stream, ZipArchiveMode.Read, leaveOpen: true);
                Root = ReadZip();
            }
            else if (head[0] == 0x80) Root = ReadLegacy();
            else throw new InvalidDataException("it is neither a zip nor a pickle: not a torch.save file (a tar-format file of " +
                "PyTorch 0.3 or earlier must be loaded and saved again with a later PyTorch)");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public static TorchSaveFile Open(string path) => new(path);

    /// <summary>The tensor's elements, as a new contiguous CPU tensor of its saved type.</summary>
    public Tensor Read(StoredTensor tensor)
    {
        var storage = tensor.Storage;
        long last = tensor.Offset + tensor.Shape.Zip(tensor.Stride, (n, s) => n == 0 ? -1 : (n - 1) * s).Sum();
        if (tensor.Shape.Contains(0)) return zeros(tensor.Shape, storage.Type);
        if (tensor.Offset < 0 || last >= storage.Elements)
            throw new InvalidDataException($"a tensor reaches element {last} of storage {storage.Key}, which has {storage.Elements}");
        long elementSize = TorchStorageTypes.SizeOf(storage.Type);
        long start = (storage.ViewOffset + tensor.Offset) * elementSize, length = (last - tensor.Offset + 1) * elementSize;
        if (length > Array.MaxLength) throw new InvalidDataException($"a tensor of {length} bytes: larger than this reader takes (2 GB)");
        var bytes = ReadStorageBytes(storage.Key, start, (int)length);
        using var flat = empty(length / elementSize, storage.Type);
        flat.bytes = bytes;
        using var view = flat.as_strided(tensor.Shape, tensor.Stride, 0);
        using var dense = view.contiguous();
        return dense.clone();
    }

    private byte[] ReadStorageBytes(string key, long start, int length)
    {
        var bytes = new byte[length];
        if (_zip is not null)
        {
            if (!_zipEntries.TryGetValue(key, out var name)) throw new InvalidDataException($"the zip has no data/{key} for a tensor's storage");
            using var entry = _zip.GetEntry(name)!.Open();
            Skip(entry, start);
            entry.ReadExactly(bytes);
        }
        else
        {
            if (!_legacyData.TryGetValue(key, out var position)) throw new InvalidDataException($"the file has no bytes for storage {key}");
            _stream.Position = position + start;
            _stream.ReadExactly(bytes);
        }
        return bytes;
    }

    private static void Skip(Stream stream, long count)
    {
        var buffer = new byte[81920];
        while (count > 0)
        {
            int read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, count));
            if (read == 0) throw new EndOfStreamException();
            count -= read;
        }
    }

    private object? ReadZip()
    {
        foreach (var entry in _zip!.Entries)
        {
            var parts = entry.FullName.Split('/');
            if (parts.Length >= 2 && parts[^2] == "data") _zipEntries[parts[^1]] = entry.FullName;
        }
        var byteOrder = _zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/byteorder", StringComparison.Ordinal));
        if (byteOrder is not null)
        {
            using var reader = new StreamReader(byteOrder.Open());
            if (reader.ReadToEnd().Trim() != "little") throw new InvalidDataException("the tensors are big-endian; save them on a little-endian machine");
        }
        var pickle = _zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal))
            ?? throw new InvalidDataException("the zip has no data.pkl: not a torch.save file");
        using var stream = new MemoryStream();
        using (var open = pickle.Open()) open.CopyTo(stream);
        stream.Position = 0;
        return new PickleReader(stream, id => Storage(id, legacy: false), RebuildTensor).Load();
    }

    private object? ReadLegacy()
    {
        object? Next(Func<object?, object?>? persistent = null) =>
            new PickleReader(_stream, persistent ?? (_ => throw new InvalidDataException("a persistent id in a header")), RebuildTensor).Load();
        if (Next() is not BigInteger magic || magic != LegacyMagic) throw new InvalidDataException("a pickle, but not one torch.save wrote");
        if (Next() is not long protocol || protocol != LegacyProtocol) throw new InvalidDataException("torch.save's legacy format, of an unknown version");
        if (Next() is Dictionary<object, object?> system && system.TryGetValue("little_endian", out var little) && little is false)
            throw new InvalidDataException("the tensors are big-endian; save them on a little-endian machine");
        var storages = new Dictionary<string, TorchStorage>();
        var root = Next(id =>
        {
            var storage = Storage(id, legacy: true);
            storages.TryAdd(storage.Key, storage with { ViewOffset = 0 });
            return storage;
        });
        if (Next() is not List<object?> keys) throw new InvalidDataException("the legacy file's list of storages is missing");
        // Each storage's bytes follow in that order: its element count (int64, little-endian), then its elements.
        using var reader = new BinaryReader(_stream, System.Text.Encoding.Latin1, leaveOpen: true);
        foreach (var key in keys.Select(k => k?.ToString() ?? ""))
        {
            long elements = reader.ReadInt64();
            _legacyData[key] = _stream.Position;
            long size = storages.TryGetValue(key, out var known) ? TorchStorageTypes.SizeOf(known.Type) : 1;
            _stream.Position += elements * size;
            if (_stream.Position > _stream.Length) throw new InvalidDataException($"the file ends inside storage {key}");
        }
        return root;
    }

    /// <summary>torch.save's persistent id: ('storage', type, key, location, elements[, (view key, offset, view elements)]).</summary>
    private static TorchStorage Storage(object? id, bool legacy)
    {
        if (id is not object?[] { Length: >= 5 } tuple || tuple[0] is not "storage" || tuple[1] is not PickledGlobal type)
            throw new InvalidDataException("a persistent id that is not a tensor storage");
        var scalar = TorchStorageTypes.TypeOf(type.Name);
        string key = tuple[2]?.ToString() ?? throw new InvalidDataException("a storage without a key");
        long elements = tuple[4] is long n ? n : throw new InvalidDataException($"storage {key} has no length");
        if (legacy && tuple.Length > 5 && tuple[5] is object?[] { Length: 3 } view && view[1] is long viewOffset)
            return new TorchStorage(key, scalar, elements, viewOffset);
        return new TorchStorage(key, scalar, elements);
    }

    /// <summary>torch._utils' rebuild functions, as data; every other global stays a <see cref="PickledObject"/>.</summary>
    private static object? RebuildTensor(PickledGlobal global, IReadOnlyList<object?> args) => global switch
    {
        { Module: "torch._utils", Name: "_rebuild_tensor_v2" or "_rebuild_tensor" } when args.Count >= 4 && args[0] is TorchStorage storage =>
            new StoredTensor(storage, (long)args[1]!, Longs(args[2]), Longs(args[3])),
        { Module: "torch._utils", Name: "_rebuild_parameter" or "_rebuild_parameter_with_state" } when args.Count >= 1 => args[0],
        _ => null,
    };

    private static long[] Longs(object? tuple) => tuple is object?[] items
        ? [.. items.Select(i => i is long l ? l : throw new InvalidDataException("a tensor shape with a non-integer"))]
        : throw new InvalidDataException("a tensor without a shape");

    public void Dispose()
    {
        _zip?.Dispose();
        _stream.Dispose();
    }
}
