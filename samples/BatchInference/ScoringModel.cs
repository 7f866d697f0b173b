using Granary.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace BatchInference;

/// <summary>
/// One replica of the model: loaded once (here: an MLP whose weights come from a seed, as a real replica would
/// load a checkpoint), then asked to score many batches. <see cref="Score"/> turns a batch of rows into one
/// tensor, runs the model and returns one score a row.
/// </summary>
public sealed class ScoringModel : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly int _features;

    public ScoringModel(int features, int seed)
    {
        _features = features;

        // A generator of its own: replicas made at once in one process must not share torch's global one.
        _model = nn.Sequential(("hidden", nn.Linear(features, 64)), ("relu", nn.ReLU()), ("out", nn.Linear(64, 1))).InitializeFromSeed(seed);
        _model.eval();

        // Batches are scored one at a time per replica; more replicas, not more threads, use more cores.
        torch.set_num_threads(1);
    }

    /// <summary>This replica's identity, for counting how many served a map.</summary>
    public string Replica { get; } = Guid.NewGuid().ToString("N")[..8];

    public ScoredBatch Score(float[][] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var flat = new float[rows.Length * _features];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i].AsSpan().CopyTo(flat.AsSpan(i * _features, _features));
        }

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var input = torch.tensor(flat, [rows.Length, _features]);
        var scores = _model.forward(input).flatten().data<float>().ToArray();
        return new ScoredBatch(Replica, scores);
    }

    public void Dispose() => _model.Dispose();
}
