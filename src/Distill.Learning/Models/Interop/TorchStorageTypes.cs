using static TorchSharp.torch;

namespace Distill.Learning.Models.Interop;

/// <summary>torch.save's storage classes (torch.FloatStorage...): the element type each holds and its size in bytes.</summary>
internal static class TorchStorageTypes
{
    private static readonly (string Name, ScalarType Type, int Size)[] All =
    [
        ("DoubleStorage", ScalarType.Float64, 8),
        ("FloatStorage", ScalarType.Float32, 4),
        ("HalfStorage", ScalarType.Float16, 2),
        ("BFloat16Storage", ScalarType.BFloat16, 2),
        ("LongStorage", ScalarType.Int64, 8),
        ("IntStorage", ScalarType.Int32, 4),
        ("ShortStorage", ScalarType.Int16, 2),
        ("CharStorage", ScalarType.Int8, 1),
        ("ByteStorage", ScalarType.Byte, 1),
        ("BoolStorage", ScalarType.Bool, 1),
    ];

    public static ScalarType TypeOf(string storage) =>
        All.FirstOrDefault(s => s.Name == storage) is { Name: not null } found ? found.Type
        : throw new InvalidDataException($"tensors of storage type {storage} are not supported");

    public static string NameOf(ScalarType type) =>
        All.FirstOrDefault(s => s.Type == type) is { Name: not null } found ? found.Name
        : throw new ArgumentException($"cannot save tensors of type {type}");

    public static long SizeOf(ScalarType type) => All.First(s => s.Type == type).Size;
}
