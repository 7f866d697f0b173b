using System.Runtime.ExceptionServices;

namespace Granary.Client.Pools;

/// <summary>A batch read from the source and not yet answered: its place in the output, its rows, and the replicas it failed on. Touched only by the map's loop.</summary>
internal sealed class PendingBatch<TRow>(int index, TRow[] rows)
{
    private HashSet<string>? _failedOn;

    /// <summary>Its position in the source, counting batches from 0: results are yielded in this order.</summary>
    public int Index => index;

    public TRow[] Rows => rows;

    public int Failures { get; private set; }

    /// <summary>The last failure, kept with its stack, to be thrown as is once the retries are spent.</summary>
    public ExceptionDispatchInfo? LastError { get; private set; }

    public void Failed(string replicaId, Exception error)
    {
        Failures++;
        LastError = ExceptionDispatchInfo.Capture(error);
        (_failedOn ??= new HashSet<string>(StringComparer.Ordinal)).Add(replicaId);
    }

    public bool FailedOn(string replicaId) => _failedOn?.Contains(replicaId) == true;
}
