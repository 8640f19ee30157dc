using Distill.Learning.Training;
using TorchSharp;

namespace Distill.Learning.Tests.Training;

/// <summary>
/// The trainer's release of finalizer-only natives: once its interval has passed it collects and runs the finalizers,
/// so a scalar nobody disposed is collected and its native memory freed by its finalizer. (Whether it skips before
/// the interval cannot be observed from a test: the collection count is process-wide and other tests collect too.)
/// </summary>
public sealed class FinalizerOnlyNativesTests
{
    [Fact]
    public void Once_the_interval_has_passed_it_collects_an_undisposed_scalar()
    {
        // Tests of other classes run in parallel, and a collection of theirs between the scalar's abandonment and the
        // release promotes it out of generation 0, which is all a release collects (as a step's garbage is, between
        // steps): then the attempt shows nothing, and the test tries again. A scalar still in generation 0 after the
        // release fails it at once.
        for (int attempt = 0; attempt < 5; attempt++)
        {
            var natives = new FinalizerOnlyNatives();
            Thread.Sleep(FinalizerOnlyNatives.Interval + TimeSpan.FromMilliseconds(20));
            var finalized = AbandonScalar();
            int collections = GC.CollectionCount(0);

            natives.ReleaseIfDue();

            Assert.True(GC.CollectionCount(0) > collections);
            // A short weak reference is cleared when the object becomes unreachable, which the forced collection established.
            if (!finalized.IsAlive) return;
            Assert.True(GC.GetGeneration(finalized) > 0, "the release left an unreachable generation-0 scalar alive");
        }
        Assert.Fail("another collection promoted the scalar before the release in every attempt");
    }

    /// <summary>A scalar the way TorchSharp's modules make them (an implicit conversion), dropped without Dispose.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference AbandonScalar()
    {
        Scalar scalar = 1.5;
        return new WeakReference(scalar);
    }
}
