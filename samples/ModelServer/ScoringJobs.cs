using Granary;

namespace ModelServer;

/// <summary>The tasks: each scores one batch by asking the server on its own node.</summary>
public static class ScoringJobs
{
    public static async Task<ScoredBatch> ScoreAsync(int batch, float[] rows)
    {
        var server = await ModelServers.OnThisNodeAsync();
        var context = TaskContext.Current!;
        var prediction = await context.Client.GetAsync(server.Call(s => s.Predict(rows)));
        return new ScoredBatch(batch, context.NodeId, prediction.ServerNode, prediction.Scores);
    }
}
