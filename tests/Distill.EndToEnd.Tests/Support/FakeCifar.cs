using System.Text;
using Distill.Stages.Datasets;

namespace Distill.EndToEnd.Tests.Support;

/// <summary>
/// Small CIFAR folders in the official binary format, for running CIFAR pipelines without the real
/// data. CIFAR-10: data_batch_1..5.bin + test_batch.bin, records of 1 label byte + 3072 pixel bytes
/// (R, G, B planes of 32x32), batches.meta.txt. CIFAR-100: train.bin + test.bin, records of coarse byte +
/// fine byte + 3072 pixel bytes, fine_label_names.txt + coarse_label_names.txt. Class names are the
/// official ones. Labels cycle through the classes; each image is its class's colour plus a class-specific
/// stripe and seeded noise, so the classes are learnable.
/// </summary>
public static class FakeCifar
{
    private const int Pixels = 3072;

    /// <summary>Writes CIFAR-10 files with <paramref name="perTrainFile"/> records in each of the 5 training files.</summary>
    public static void WriteCifar10(string folder, int perTrainFile = 100, int testRecords = 100, int seed = 1)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(seed);
        for (var f = 1; f <= 5; f++)
            File.WriteAllBytes(Path.Combine(folder, $"data_batch_{f}.bin"),
                Batch(perTrainFile, r => [(byte)(((f - 1) * perTrainFile + r) % 10)], 10, random));
        File.WriteAllBytes(Path.Combine(folder, "test_batch.bin"), Batch(testRecords, r => [(byte)(r % 10)], 10, random));
        File.WriteAllText(Path.Combine(folder, "batches.meta.txt"), Names(Cifar10Kind.Cifar10Classes));
    }

    /// <summary>Writes CIFAR-100 files; fine labels cycle through the 100 classes, coarse labels are fine / 5.</summary>
    public static void WriteCifar100(string folder, int trainRecords = 2000, int testRecords = 200, int seed = 1)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(seed);
        File.WriteAllBytes(Path.Combine(folder, "train.bin"), Batch(trainRecords, r => [(byte)(r % 100 / 5), (byte)(r % 100)], 100, random));
        File.WriteAllBytes(Path.Combine(folder, "test.bin"), Batch(testRecords, r => [(byte)(r % 100 / 5), (byte)(r % 100)], 100, random));
        File.WriteAllText(Path.Combine(folder, "fine_label_names.txt"), Names(Cifar100Kind.Cifar100FineClasses));
        File.WriteAllText(Path.Combine(folder, "coarse_label_names.txt"), Names(Cifar100Kind.Cifar100CoarseClasses));
    }

    private static byte[] Batch(int records, Func<int, byte[]> labels, int classes, Random random)
    {
        var labelBytes = labels(0).Length;
        var size = labelBytes + Pixels;
        var bytes = new byte[records * size];
        for (var r = 0; r < records; r++)
        {
            var label = labels(r);
            label.CopyTo(bytes, r * size);
            var cls = label[^1];
            var pixels = bytes.AsSpan(r * size + labelBytes, Pixels);
            Image(cls, classes, random, pixels);
        }
        return bytes;
    }

    /// <summary>Class colour (spread over the hue circle), a horizontal stripe whose row depends on the class, noise.</summary>
    private static void Image(int cls, int classes, Random random, Span<byte> pixels)
    {
        var hue = cls * 6.0 / classes;
        var rgb = new[] { Channel(hue, 0), Channel(hue, 4), Channel(hue, 2) };
        var stripe = cls * 7 % 28;
        for (var c = 0; c < 3; c++)
            for (var y = 0; y < 32; y++)
                for (var x = 0; x < 32; x++)
                {
                    var value = y >= stripe && y < stripe + 4 ? 255 - rgb[c] : rgb[c];
                    pixels[c * 1024 + y * 32 + x] = (byte)Math.Clamp(value + random.Next(-40, 41), 0, 255);
                }
    }

    private static int Channel(double hue, double offset)
    {
        var k = (offset + hue) % 6;
        return (int)(255 * (1 - Math.Max(0, Math.Min(Math.Min(k, 4 - k), 1))));
    }

    private static string Names(IEnumerable<string> names) => new StringBuilder().AppendJoin('\n', names).Append('\n').ToString();
}
