namespace Granary.Benchmarks;

/// <summary>The placement-group row of `ray microbenchmark`, and the same work done in bulk.</summary>
internal sealed class PlacementGroupRows(GranaryClient client, double scale)
{
    public List<Row> Create() =>
    [
        new("placement_group_create_removal", "ops/s", null, async () =>
        {
            // Ray's workload: create 100 groups of one small bundle, wait until each is ready, then remove
            // them one at a time, each removal finished before the next starts.
            const int n = 100;
            var groups = await Task.WhenAll(Enumerable.Range(0, n).Select(_ => client.CreatePlacementGroupAsync([new ResourceBundle(0.001)])));
            foreach (var group in groups)
            {
                await client.RemovePlacementGroupAsync(group);
            }

            return n;
        }),
        new("placement_group_create_removal_1k_concurrent", "ops/s", null, async () =>
        {
            var n = Math.Max(10, (int)(1_000 * scale));
            var groups = await Task.WhenAll(Enumerable.Range(0, n).Select(_ => client.CreatePlacementGroupAsync([new ResourceBundle(0.001)])));
            await Task.WhenAll(groups.Select(g => client.RemovePlacementGroupAsync(g)));
            return n;
        }),
    ];
}
