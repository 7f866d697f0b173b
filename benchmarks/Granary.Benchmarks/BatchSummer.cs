namespace Granary.Benchmarks;

/// <summary>The model of the map_batches row: as little work per batch as a model can do, so the row measures MapBatches itself.</summary>
public sealed class BatchSummer
{
    public long Sum(int[] rows)
    {
        long sum = 0;
        foreach (var row in rows)
        {
            sum += row;
        }

        return sum;
    }
}
