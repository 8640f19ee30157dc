namespace Distill.Learning.Randomness;

/// <summary>
/// Counter-based randomness: every value is a pure function of its coordinates (seed, purpose,
/// epoch, index...), so any batch, augmentation or permutation can be re-created exactly after a
/// restart without replaying a generator's history.
/// </summary>
public static class DeterministicRandom
{
    /// <summary>Mixes the coordinates into one 64-bit value (SplitMix64 finaliser per step).</summary>
    public static ulong Hash(long seed, params ReadOnlySpan<long> coordinates)
    {
        ulong h = Mix((ulong)seed ^ 0x9E3779B97F4A7C15UL);
        foreach (var c in coordinates)
            h = Mix(h ^ Mix((ulong)c + 0x632BE59BD9B4E019UL));
        return h;
    }

    /// <summary>A stable 64-bit number for a text label (a stage id, a purpose name).</summary>
    public static long HashText(string text)
    {
        ulong h = 0xCBF29CE484222325UL; // FNV-1a, then mixed
        foreach (var ch in text)
        {
            h ^= ch;
            h *= 0x100000001B3UL;
        }
        return (long)Mix(h);
    }

    /// <summary>Uniform integer in [0, bound).</summary>
    public static int NextInt(ulong hash, int bound) => (int)((hash >> 11) % (ulong)bound);

    /// <summary>A permutation of 0..n-1 (Fisher-Yates driven by the hash of each position).</summary>
    public static long[] Permutation(int n, long seed, params ReadOnlySpan<long> coordinates)
    {
        var order = new long[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var baseHash = (long)Hash(seed, coordinates);
        for (int i = n - 1; i > 0; i--)
        {
            int j = NextInt(Hash(baseHash, i), i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
