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
        var natives = new FinalizerOnlyNatives();
        Thread.Sleep(FinalizerOnlyNatives.Interval + TimeSpan.FromMilliseconds(20));
        // Abandoned after the wait: a collection by another test during it would have promoted the scalar out of
        // generation 0, which is all a release collects (as a step's garbage is, between steps).
        var finalized = AbandonScalar();
        int collections = GC.CollectionCount(0);

        natives.ReleaseIfDue();

        Assert.True(GC.CollectionCount(0) > collections);
        // A long weak reference outlives finalization until the next collection; a short one is cleared when the
        // object becomes unreachable, which the forced collection established.
        Assert.False(finalized.IsAlive);
    }

    /// <summary>A scalar the way TorchSharp's modules make them (an implicit conversion), dropped without Dispose.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference AbandonScalar()
    {
        Scalar scalar = 1.5;
        return new WeakReference(scalar);
    }
}
