namespace BatchInference;

/// <summary>
/// The input: rows of features made from their index alone, so the rows can be produced lazily (a million of
/// them never sit in memory at once) and any row can be made again to check its score.
/// </summary>
public static class RowSource
{
    public static IEnumerable<float[]> Rows(long count, int features)
    {
        for (var i = 0L; i < count; i++)
        {
            yield return Row(i, features);
        }
    }

    public static float[] Row(long index, int features)
    {
        var row = new float[features];
        for (var j = 0; j < features; j++)
        {
            // A cheap hash of (row, feature) into [-1, 1): deterministic, no generator to share between threads.
            var h = unchecked(((ulong)index * 0x9E3779B97F4A7C15UL) ^ ((ulong)j * 0xC2B2AE3D27D4EB4FUL));
            h ^= h >> 29;
            h *= 0xBF58476D1CE4E5B9UL;
            h ^= h >> 32;
            row[j] = (float)((h >> 40) / (double)(1UL << 24) * 2 - 1);
        }

        return row;
    }
}
