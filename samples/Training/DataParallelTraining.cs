using System.Diagnostics;
using Granary;
using Granary.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Training;

/// <summary>
/// Data-parallel SGD: each rank trains the same model on its own shard of the data; after each backward pass
/// the gradients are averaged over the ranks with one all-reduce, so every rank takes the same step. With
/// equal shards the averaged gradient is the full-batch gradient, so the result equals training in one
/// process on all the data (up to float rounding): <see cref="SingleProcess"/> is that reference.
/// </summary>
public static class DataParallelTraining
{
    /// <summary>One rank's part of a launch: <c>cluster.Distributed(...).RunAsync(ctx => DataParallelTraining.TrainAsync(ctx, config))</c>.</summary>
    public static async Task<TrainingResult> TrainAsync(RankContext ctx, TrainingConfig config)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(config);
        if (config.Samples % ctx.WorldSize != 0)
        {
            throw new ArgumentException($"{config.Samples} samples do not split evenly over {ctx.WorldSize} ranks; use a multiple of {ctx.WorldSize}.", nameof(config));
        }

        // As torchrun does (OMP_NUM_THREADS=1 for each of several ranks): ranks sharing a host's cores each
        // use one intra-op thread rather than all of them at once, which would oversubscribe the cores.
        if (ctx.WorldSize > 1)
        {
            torch.set_num_threads(1);
        }

        var device = ctx.TorchDevice();
        var shard = config.Samples / ctx.WorldSize;
        var (x, y) = SyntheticData.Rows(config, (long)ctx.Rank * shard, shard);
        using var inputs = x.to(device);
        using var targets = y.to(device);
        x.Dispose();
        y.Dispose();

        using var model = Mlp.Create(config);
        model.to(device);

        // Seeded alike already; the broadcast makes "every rank starts from rank 0's weights" hold whatever the seed.
        await ctx.BroadcastParametersAsync(model, root: 0);
        using var optimizer = optim.SGD(model.parameters(), config.LearningRate, momentum: config.Momentum);

        float first = float.NaN, last = float.NaN;
        var clock = Stopwatch.StartNew();
        for (var step = 0; step < config.Steps; step++)
        {
            // Torch's dispose scopes are per thread and an await may resume elsewhere: the scope covers only
            // the synchronous forward and backward pass.
            float shardLoss;
            using (torch.NewDisposeScope())
            {
                optimizer.zero_grad();
                using var loss = nn.functional.mse_loss(model.forward(inputs), targets);
                loss.backward();
                shardLoss = loss.item<float>();
            }

            await ctx.AllReduceGradientsAsync(model);
            optimizer.step();

            // The loss over all the data is the mean of the shards' losses (equal shards).
            var global = await ctx.AllReduceAsync(new[] { shardLoss }, ReduceOp.Mean);
            first = step == 0 ? global[0] : first;
            last = global[0];
        }

        return new TrainingResult(ctx.Rank, ctx.NodeId, first, last, Mlp.Flatten(model), clock.Elapsed.TotalMilliseconds / config.Steps);
    }

    /// <summary>The same training in this process on all the data, for comparison.</summary>
    public static TrainingResult SingleProcess(TrainingConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var (inputs, targets) = SyntheticData.Rows(config, 0, config.Samples);
        using var x = inputs;
        using var y = targets;
        using var model = Mlp.Create(config);
        using var optimizer = optim.SGD(model.parameters(), config.LearningRate, momentum: config.Momentum);
        float first = float.NaN, last = float.NaN;
        var clock = Stopwatch.StartNew();
        for (var step = 0; step < config.Steps; step++)
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.forward(x), y);
            loss.backward();
            optimizer.step();
            first = step == 0 ? loss.item<float>() : first;
            last = loss.item<float>();
        }

        return new TrainingResult(0, "this process", first, last, Mlp.Flatten(model), clock.Elapsed.TotalMilliseconds / config.Steps);
    }
}
