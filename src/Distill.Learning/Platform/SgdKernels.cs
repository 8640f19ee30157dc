using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Distill.Learning.Platform;

/// <summary>
/// SGD's update of float32 parameters in one pass over each: weight decay, momentum, Nesterov and the step, with
/// LibTorch's arithmetic operation for operation. LibTorch's update is four or five calls per parameter (each a
/// dispatch, most too small for its threads); this is one loop per parameter, and one parallel loop for all of them.
/// The bits are LibTorch's: its vectorised <c>add(other, alpha)</c> computes <c>fma(other, alpha, self)</c> rounded
/// once, its <c>mul_</c> one rounded product, and its scalars are the double hyperparameters rounded to float32, all
/// of which is what the loops below do (the tests compare with LibTorch's update bit for bit, tails included).
/// Vector256 runs on AVX2 and AVX-512 machines alike, with the same bits.
/// </summary>
internal static unsafe class SgdKernels
{
    /// <summary>The implementation revision of the update (see <see cref="ConvolutionRouting.Revision"/>).</summary>
    public const int Revision = 1;

    /// <summary>Elements per parallel chunk: 64 KB of each of the three arrays.</summary>
    public const long ChunkElements = 16384;

    private const int Lanes = 8;

    /// <summary>One SGD parameter group's hyperparameters as LibTorch's scalars hold them (float32).</summary>
    public readonly record struct Coefficients(float WeightDecay, float Momentum, float Kept, float Descent, bool Nesterov)
    {
        /// <summary>
        /// From the group's settings; <paramref name="descent"/> is the signed step (minus the learning rate, plus
        /// it when maximising) and <paramref name="kept"/> is one minus the dampening.
        /// </summary>
        public static Coefficients Of(double weightDecay, double momentum, double kept, double descent, bool nesterov) =>
            new((float)weightDecay, (float)momentum, (float)kept, (float)descent, nesterov);
    }

    /// <summary>
    /// Updates elements [first, end) of one parameter: d = g + wd p (when wd is not 0); with momentum b = mu b + kept d
    /// and u = d + mu b (Nesterov) or b, else u = d; then p = p + descent u. <paramref name="buffer"/> is null without
    /// momentum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Update(float* parameter, float* gradient, float* buffer, long first, long end, in Coefficients k)
    {
        bool decay = k.WeightDecay != 0;
        bool momentum = buffer != null;
        var (wd, mu, kept, descent) = (Vector256.Create(k.WeightDecay), Vector256.Create(k.Momentum),
            Vector256.Create(k.Kept), Vector256.Create(k.Descent));
        long i = first;
        for (; i + Lanes <= end; i += Lanes)
        {
            var p = Vector256.Load(parameter + i);
            var d = Vector256.Load(gradient + i);
            if (decay) d = Vector256.FusedMultiplyAdd(p, wd, d);
            if (momentum)
            {
                var b = Vector256.FusedMultiplyAdd(d, kept, Vector256.Load(buffer + i) * mu);
                b.Store(buffer + i);
                d = k.Nesterov ? Vector256.FusedMultiplyAdd(b, mu, d) : b;
            }
            Vector256.FusedMultiplyAdd(d, descent, p).Store(parameter + i);
        }
        for (; i < end; i++)
        {
            float p = parameter[i], d = gradient[i];
            if (decay) d = MathF.FusedMultiplyAdd(p, k.WeightDecay, d);
            if (momentum)
            {
                float b = MathF.FusedMultiplyAdd(d, k.Kept, buffer[i] * k.Momentum);
                buffer[i] = b;
                d = k.Nesterov ? MathF.FusedMultiplyAdd(b, k.Momentum, d) : b;
            }
            parameter[i] = MathF.FusedMultiplyAdd(d, k.Descent, p);
        }
    }
}

/// <summary>
/// The SGD update of a parameter group's float32 CPU parameters as one parallel loop over fixed chunks (each a range of
/// one parameter), on LibTorch's OpenMP team. Each element is updated alone, so the bits do not depend on the threads.
/// </summary>
internal sealed unsafe class SgdUpdate(SgdKernels.Coefficients coefficients) : IChunkBody
{
    private readonly List<(IntPtr Parameter, IntPtr Gradient, IntPtr Buffer, long First, long End)> _chunks = [];

    /// <summary>
    /// Whether the loop can update this parameter: a machine with vector FMA, float32 on the CPU, contiguous, and its
    /// gradient (and momentum buffer, where there is momentum) alike. Anything else takes LibTorch's update.
    /// </summary>
    public static bool Fits(TorchSharp.torch.Tensor parameter, TorchSharp.torch.Tensor gradient, TorchSharp.torch.Tensor? buffer) =>
        CpuIsa.HasVectorFma && Plain(parameter) && Plain(gradient) && gradient.numel() == parameter.numel()
        && (buffer is null || (Plain(buffer) && buffer.numel() == parameter.numel()));

    private static bool Plain(TorchSharp.torch.Tensor t) =>
        t.device_type == TorchSharp.DeviceType.CPU && t.dtype == TorchSharp.torch.ScalarType.Float32
        && !t.is_sparse && t.is_contiguous();

    /// <summary>Adds one parameter (checked by <see cref="Fits"/>); the tensors must live until <see cref="Run"/> returns.</summary>
    public void Add(TorchSharp.torch.Tensor parameter, TorchSharp.torch.Tensor gradient, TorchSharp.torch.Tensor? buffer)
    {
        var (p, g, b) = ((IntPtr)TensorMemory.Float32(parameter), (IntPtr)TensorMemory.Float32(gradient),
            buffer is null ? IntPtr.Zero : (IntPtr)TensorMemory.Float32(buffer));
        long count = parameter.numel();
        for (long first = 0; first < count; first += SgdKernels.ChunkElements)
            _chunks.Add((p, g, b, first, Math.Min(count, first + SgdKernels.ChunkElements)));
    }

    /// <summary>Updates every parameter added.</summary>
    public void Run() => OpenMpTeam.For(_chunks.Count, TorchSharp.torch.get_num_threads(), this);

    void IChunkBody.Run(int chunk)
    {
        var c = _chunks[chunk];
        SgdKernels.Update((float*)c.Parameter, (float*)c.Gradient, (float*)c.Buffer, c.First, c.End, coefficients);
    }
}

/// <summary>
/// Checks once per process, before the first fused update, that <see cref="SgdKernels.Update"/> gives LibTorch's bits
/// on this machine and LibTorch build: random values with zeros, subnormals and large ones mixed in, every tail length
/// up to 40 and one longer run, weight decay with and without Nesterov momentum, plain momentum and none. Should any
/// bit differ, SGD runs LibTorch's operations (<see cref="Training.SGD"/>). Uses its own random generator.
/// </summary>
internal static unsafe class SgdSelfCheck
{
    private static readonly Lazy<bool> Outcome = new(Measure);

    /// <summary>Whether the fused update may run (checking it on first call).</summary>
    public static bool Passed => Outcome.Value;

    /// <summary>Runs the comparison now: true when every bit matched.</summary>
    public static bool Measure()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var random = new Random(0x56d);
        (double Wd, double Mu, double Kept, double Descent, bool Nesterov)[] settings =
            [(5e-4, 0.9, 1, -0.1, true), (5e-4, 0.9, 1, -0.1, false), (0, 0.9, 0.9, -0.05, false), (1e-3, 0, 1, -0.3, false)];
        foreach (var s in settings)
        foreach (long count in Enumerable.Range(1, 40).Select(n => (long)n).Append(2311))
        {
            var (p, g, b) = (Values(count, random), Values(count, random), Values(count, random));
            var (pRef, bRef) = (p.clone(), b.clone());
            bool momentum = s.Mu != 0;
            LibTorchUpdate(pRef, g, momentum ? bRef : null, s.Wd, s.Mu, s.Kept, s.Descent, s.Nesterov);
            SgdKernels.Update(TensorMemory.Float32(p), TensorMemory.Float32(g), momentum ? TensorMemory.Float32(b) : null, 0, count,
                SgdKernels.Coefficients.Of(s.Wd, s.Mu, s.Kept, s.Descent, s.Nesterov));
            if (!SameBits(p, pRef) || !SameBits(b, bRef)) return false;
        }
        return true;
    }

    /// <summary>LibTorch's update of one parameter, operation for operation, as <see cref="Training.SGD"/> runs it.</summary>
    internal static void LibTorchUpdate(TorchSharp.torch.Tensor p, TorchSharp.torch.Tensor g, TorchSharp.torch.Tensor? b, double wd, double mu,
        double kept, double descent, bool nesterov)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        // Held for the whole update (see Training.SGD on why each Scalar must outlive the native calls).
        using TorchSharp.Scalar weightDecay = (TorchSharp.Scalar)wd, momentum = (TorchSharp.Scalar)mu, dampened = (TorchSharp.Scalar)kept,
            step = (TorchSharp.Scalar)descent;
        var d = wd != 0 ? g.add(p, alpha: weightDecay) : g;
        if (b is not null)
        {
            b.mul_(momentum).add_(d, alpha: dampened);
            d = nesterov ? d.add(b, alpha: momentum) : b;
        }
        p.add_(d, alpha: step);
    }

    /// <summary>Random values in [-2, 2) with zeros of both signs, subnormals and large ones mixed in.</summary>
    internal static TorchSharp.torch.Tensor Values(long count, Random random)
    {
        float[] special = [0f, -0f, 1e-40f, -3e-39f, 3e30f, -1e-20f, 1f];
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = random.Next(6) == 0 ? special[random.Next(special.Length)] : (float)(random.NextDouble() * 4 - 2);
        return TorchSharp.torch.tensor(values);
    }

    private static bool SameBits(TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b) =>
        a.data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).SequenceEqual(b.data<float>().ToArray().Select(BitConverter.SingleToInt32Bits));
}
