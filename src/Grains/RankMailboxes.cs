using System.Collections.Concurrent;
using Granary.Runtime.Wire;

namespace Granary.Grains;

/// <summary>
/// The pieces of ring collectives on their way to this node's ranks: the rank before in the ring delivers a
/// piece here (a silo-to-silo call), and the rank that runs here takes it, whichever comes first; a taker
/// waits up to the collective timeout. A launch's pieces go when its job ends here. Thread-safe.
/// </summary>
internal sealed class RankMailboxes(string nodeId)
{
    private readonly ConcurrentDictionary<(string Launch, int Rank, int Sequence, int Step, int Piece), Slot> _slots = new();

    /// <summary>Pieces delivered or awaited and not yet taken (tests).</summary>
    public int Count => _slots.Count;

    public void Deliver(CollectivePiece piece)
    {
        var slot = _slots.GetOrAdd((piece.LaunchId, piece.ToRank, piece.Sequence, piece.Step, piece.Piece), static (_, job) => new Slot(job), piece.JobId);
        if (!slot.Piece.TrySetResult(piece))
        {
            throw new InvalidOperationException($"Rank {piece.ToRank} of launch {piece.LaunchId} got step {piece.Step} of collective {piece.Sequence} twice: do all ranks call the collectives in the same order?");
        }
    }

    public async Task<CollectivePiece> TakeAsync(TakePiece take, CancellationToken cancellationToken)
    {
        var key = (take.LaunchId, take.Rank, take.Sequence, take.Step, take.Piece);
        var slot = _slots.GetOrAdd(key, static (_, job) => new Slot(job), take.JobId);
        var timeout = TimeSpan.FromMilliseconds(Math.Max(1, take.TimeoutMs));
        try
        {
            return await slot.Piece.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new RendezvousTimeoutException(
                $"Rank {take.Rank} of launch {take.LaunchId} on node {nodeId} waited {timeout.TotalSeconds:0.###} s for step {take.Step} of collective {take.Sequence} from the rank before it in the ring. " +
                "A rank stopped calling collectives, or called them in another order; raise DistributedOptions.CollectiveTimeout if a rank works that long between them.");
        }
        finally
        {
            _slots.TryRemove(key, out _);
        }
    }

    public void JobEnded(string jobId)
    {
        foreach (var (key, slot) in _slots)
        {
            if (slot.JobId == jobId && _slots.TryRemove(key, out _))
            {
                slot.Piece.TrySetException(new GranaryException($"Job {jobId} ended on node {nodeId}."));
            }
        }
    }

    private sealed class Slot(string jobId)
    {
        public string JobId { get; } = jobId;

        public TaskCompletionSource<CollectivePiece> Piece { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
