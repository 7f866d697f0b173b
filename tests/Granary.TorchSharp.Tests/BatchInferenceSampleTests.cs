using BatchInference;

namespace Granary.TorchSharp.Tests;

/// <summary>samples/BatchInference: MapBatches over a pool of TorchSharp model replicas.</summary>
[Collection(TorchClusterCollection.Name)]
public sealed class BatchInferenceSampleTests(TorchClusterFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task The_sample_scores_every_row_once_in_input_order()
    {
        var output = new StringWriter();
        Assert.True(await BatchInferenceDemo.RunAsync(output, rows: 200_000, batchSize: 5_000).WithTimeout(Bound), output.ToString());
    }

    [Fact]
    public async Task Replicas_score_exactly_what_the_model_scores_here_batch_by_batch()
    {
        const int rows = 2_500;
        using var local = new ScoringModel(BatchInferenceDemo.Features, BatchInferenceDemo.Seed);
        var expected = local.Score([.. RowSource.Rows(rows, BatchInferenceDemo.Features)]).Scores;

        // The map's own token bounds the whole enumeration (MapBatches ends with OperationCanceledException).
        using var bound = new CancellationTokenSource(Bound);
        var batches = new List<float[]>();
        var pool = new ActorPoolOptions { Min = 2, Max = 2, Cpus = 1, MaxBatchesInFlightPerReplica = 1 };
        await foreach (var batch in fixture.Client.MapBatches(RowSource.Rows(rows, BatchInferenceDemo.Features), 300, pool,
            () => new ScoringModel(BatchInferenceDemo.Features, BatchInferenceDemo.Seed), (model, chunk) => model.Score(chunk), bound.Token))
        {
            batches.Add(batch.Scores);
        }

        Assert.Equal([.. Enumerable.Repeat(300, 8), 100], batches.Select(b => b.Length));
        Assert.Equal(expected.Length, batches.Sum(b => b.Length));
        Assert.All(expected.Zip(batches.SelectMany(b => b)), p => Assert.Equal(p.First, p.Second, 5));
    }
}
