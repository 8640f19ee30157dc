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
    /// Whether the loop can update this parameter: float32 on the CPU, contiguous, and its gradient (and momentum
    /// buffer, where there is momentum) alike. Anything else takes LibTorch's update.
    /// </summary>
    public static bool Fits(TorchSharp.torch.Tensor parameter, TorchSharp.torch.Tensor gradient, TorchSharp.torch.Tensor? buffer) =>
        Plain(parameter) && Plain(gradient) && gradient.numel() == parameter.numel()
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
