using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using static TorchSharp.torch;

namespace Distill.Learning.Models.Interop;

/// <summary>A dict of tensors that PyTorch reads as a collections.OrderedDict (a state_dict), in the order given.</summary>
public sealed record StateDict(IReadOnlyList<KeyValuePair<string, Tensor>> Tensors);

/// <summary>
/// Writes what torch.save writes, in its zip format, for a nested object that TorchSharp.PyBridge (flat state_dicts only)
/// cannot: a dict of strings to <see cref="StateDict"/>, tensors, long, double, bool and string values, as
/// checkpoints of other projects are (RepDistiller's <c>{'model': state_dict, 'accuracy': ...}</c>). Pickle protocol 2;
/// entry times fixed, so equal contents give equal bytes.
/// </summary>
public static class TorchSaveWriter
{
    private const string Folder = "archive";
    private static readonly DateTimeOffset FixedZipTime = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static void Write(Stream stream, IReadOnlyList<KeyValuePair<string, object>> root)
    {
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        var pickle = new MemoryStream();
        var writer = new Pickler(pickle, zip);
        pickle.Write([0x80, 2]); // PROTO 2
        writer.Dict(root);
        pickle.WriteByte((byte)'.');
        Entry(zip, "data.pkl", pickle.ToArray());
        Entry(zip, "version", "3\n"u8.ToArray());
        Entry(zip, "byteorder", "little"u8.ToArray());
    }

    private static void Entry(ZipArchive zip, string name, byte[] bytes)
    {
        var entry = zip.CreateEntry($"{Folder}/{name}", CompressionLevel.NoCompression);
        entry.LastWriteTime = FixedZipTime;
        using var open = entry.Open();
        open.Write(bytes);
    }

    private sealed class Pickler(Stream output, ZipArchive zip)
    {
        private int _storages;

        public void Dict(IEnumerable<KeyValuePair<string, object>> items)
        {
            Op('}');
            Items(items.Select(i => (i.Key, i.Value)));
        }

        private void Items(IEnumerable<(string Key, object Value)> items)
        {
            Op('(');
            foreach (var (key, value) in items)
            {
                String(key);
                Value(value);
            }
            Op('u'); // SETITEMS
        }

        private void Value(object value)
        {
            switch (value)
            {
                case StateDict dict:
                    EmptyOrderedDict();
                    Items(dict.Tensors.Select(t => (t.Key, (object)t.Value)));
                    break;
                case Tensor tensor: Tensor(tensor); break;
                case string s: String(s); break;
                case bool b: Op(b ? (char)0x88 : (char)0x89); break;
                case int i: Integer(i); break;
                case long l: Integer(l); break;
                case double d:
                    Op('G');
                    Span<byte> bytes = stackalloc byte[8];
                    BinaryPrimitives.WriteDoubleBigEndian(bytes, d);
                    output.Write(bytes);
                    break;
                default: throw new ArgumentException($"cannot pickle a {value.GetType().Name}", nameof(value));
            }
        }

        /// <summary>torch._utils._rebuild_tensor_v2(storage, 0, shape, stride, False, OrderedDict()), its storage a data/N entry.</summary>
        private void Tensor(Tensor tensor)
        {
            using var dense = tensor.detach().cpu().contiguous();
            string key = (_storages++).ToString(System.Globalization.CultureInfo.InvariantCulture);
            Entry(zip, $"data/{key}", dense.bytes.ToArray());
            Global("torch._utils", "_rebuild_tensor_v2");
            Op('(');
            Op('(');
            String("storage");
            Global("torch", TorchStorageTypes.NameOf(dense.dtype));
            String(key);
            String("cpu");
            Integer(dense.numel());
            Op('t');
            Op('Q'); // BINPERSID
            Integer(0);
            Tuple(dense.shape);
            Tuple(dense.stride());
            Op((char)0x89); // requires_grad False
            EmptyOrderedDict(); // backward hooks
            Op('t');
            Op('R');
        }

        private void EmptyOrderedDict()
        {
            Global("collections", "OrderedDict");
            Op(')');
            Op('R');
        }

        private void Tuple(long[] values)
        {
            Op('(');
            foreach (var v in values) Integer(v);
            Op('t');
        }

        private void Global(string module, string name)
        {
            Op('c');
            output.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
        }

        private void String(string s)
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            Op('X');
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)bytes.Length);
            output.Write(length);
            output.Write(bytes);
        }

        private void Integer(long value)
        {
            if (value is >= int.MinValue and <= int.MaxValue)
            {
                Op('J');
                Span<byte> bytes = stackalloc byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(bytes, (int)value);
                output.Write(bytes);
                return;
            }
            Op((char)0x8a); // LONG1
            output.WriteByte(8);
            Span<byte> wide = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(wide, value);
            output.Write(wide);
        }

        private void Op(char code) => output.WriteByte((byte)code);
    }
}
