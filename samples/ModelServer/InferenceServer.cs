using Granary;
using Granary.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelServer;

/// <summary>
/// A long-lived inference server (the Triton of the Spark + Triton pattern): one per node, holding its model
/// in memory between requests. The model is a small MLP whose weights come from a seed, so every node's
/// server answers alike; a real server would load its weights from a file or an object ref here.
/// </summary>
public sealed class InferenceServer : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly int _features;
    private long _requests;
    private bool _stopped;

    public InferenceServer(int features, int seed)
    {
        _features = features;

        // A generator of its own, not torch.manual_seed: servers made at once in one process (an embedded
        // cluster) would otherwise draw from the same global generator in turn and end up with different weights.
        _model = nn.Sequential(("hidden", nn.Linear(features, 32)), ("relu", nn.ReLU()), ("out", nn.Linear(32, 1))).InitializeFromSeed(seed);
        _model.eval();
    }

    /// <summary>Scores a batch of rows (row-major, <c>features</c> values a row): one prediction a row, and the node that computed it.</summary>
    public Prediction Predict(float[] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ObjectDisposedException.ThrowIf(_stopped, this);
        if (rows.Length % _features != 0)
        {
            throw new ArgumentException($"{rows.Length} values are not whole rows of {_features} features.", nameof(rows));
        }

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var input = torch.tensor(rows, [rows.Length / _features, _features]);
        var output = _model.forward(input).flatten();
        Interlocked.Increment(ref _requests);
        return new Prediction(TaskContext.Current?.NodeId ?? "unknown", output.data<float>().ToArray());
    }

    /// <summary>How many requests this server has answered.</summary>
    public long Requests() => Interlocked.Read(ref _requests);

    /// <summary>The shutdown signal: frees the model and refuses later requests; returns the requests answered.</summary>
    public long Shutdown()
    {
        _stopped = true;
        _model.Dispose();
        return Interlocked.Read(ref _requests);
    }

    public void Dispose()
    {
        if (!_stopped)
        {
            Shutdown();
        }
    }
}
