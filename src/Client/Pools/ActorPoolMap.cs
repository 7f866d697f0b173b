using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Granary.Client.Pools;

/// <summary>
/// One run of <c>GranaryClient.MapBatches</c>: reads batches from the source, sends each to a replica of the
/// pool as an actor call, and yields the results in batch order.
/// <para>
/// All of the run's state belongs to one loop, the enumeration itself. Replies and finished creations do not
/// touch it: they post an action to <see cref="_events"/>, which the loop runs, so there are no locks and a
/// consumer that stops asking for results stops everything but the calls already sent.
/// </para>
/// <para>
/// Bounds. A replica is sent at most MaxBatchesInFlightPerReplica batches at a time. Batches read but not yet
/// yielded (sent, waiting for a replica, or finished and waiting for an earlier batch) are at most
/// <see cref="_window"/> = Max × MaxBatchesInFlightPerReplica, so a slow batch 0 holds the reader back instead
/// of letting it pull the source into memory, and the results kept for in-order output are bounded by the same.
/// </para>
/// <para>
/// Replicas. Min are created at the start; one more (up to Max, one creation at a time) when every replica is
/// at its limit and a batch waits. A creation waits for resources as any actor's does, in the background: the
/// map goes on with the replicas it has and uses the new one once it is up. A creation that fails (no node
/// could ever hold it, or the constructor threw) stops further growth; it fails the map only when no replica
/// is left alive or starting. A replica whose call fails with <see cref="ActorDiedException"/> for it is dropped
/// and, while fewer than Min are alive or starting, replaced. A failed batch goes again, preferring a replica it
/// has not failed on (it waits for one while such a replica is alive), at most MaxBatchRetries times; then the
/// map throws the batch's last error as it was thrown.
/// </para>
/// <para>
/// The end. However the enumeration ends (completed, failed, cancelled or disposed early), every replica is
/// killed before it returns, and replicas still being created are cancelled and killed once their creation
/// returns. The source's enumerator is disposed.
/// </para>
/// </summary>
internal sealed class ActorPoolMap<TRow, TModel, TResult>
    where TModel : class
{
    private readonly int _min;
    private readonly int _max;
    private readonly int _perReplica;
    private readonly int _maxRetries;
    private readonly int _window;
    private readonly Func<CancellationToken, ReplicaCreation<TModel>> _create;
    private readonly Func<ActorHandle<TModel>, TRow[], ObjectRef<TResult>> _send;
    private readonly Func<string, Task> _kill;

    private readonly Channel<Action> _events = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<Replica<TModel>> _replicas = [];
    private readonly HashSet<string> _creating = new(StringComparer.Ordinal);

    // Batches read and not yet sent, in batch order, so a retried batch goes before later ones.
    private readonly List<PendingBatch<TRow>> _waiting = [];
    private readonly Dictionary<int, TResult> _finished = [];
    private CancellationToken _stop;
    private int _nextRead;
    private int _nextYield;
    private bool _sourceDone;
    private bool _growthStopped;
    private Exception? _creationError;

    /// <param name="create">Starts creating a replica; the token cancels a creation the map no longer needs.</param>
    /// <param name="send">Sends one batch to one replica.</param>
    /// <param name="kill">Kills an actor by id; one that does not exist is no error.</param>
    public ActorPoolMap(
        int min,
        int max,
        int perReplica,
        int maxRetries,
        Func<CancellationToken, ReplicaCreation<TModel>> create,
        Func<ActorHandle<TModel>, TRow[], ObjectRef<TResult>> send,
        Func<string, Task> kill)
    {
        (_min, _max, _perReplica, _maxRetries) = (min, max, perReplica, maxRetries);
        _window = (int)Math.Min(int.MaxValue, (long)max * perReplica);
        (_create, _send, _kill) = (create, send, kill);
    }

    public async IAsyncEnumerable<TResult> RunAsync(BatchReader<TRow> reader, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _stop = lifetime.Token;
        try
        {
            for (var i = 0; i < _min; i++)
            {
                StartReplica();
            }

            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                while (_events.Reader.TryRead(out var happened))
                {
                    happened();
                }

                // Send before yielding: the replicas work on while the consumer handles a result.
                Dispatch();
                Grow();
                while (_finished.Remove(_nextYield, out var result))
                {
                    _nextYield++;
                    yield return result;
                }

                if (_sourceDone && _nextYield == _nextRead)
                {
                    yield break;
                }

                ThrowIfNoReplicaLeft();
                if (ShouldRead())
                {
                    var rows = await reader.NextAsync(_stop).ConfigureAwait(false);
                    if (rows is null)
                    {
                        _sourceDone = true;
                    }
                    else
                    {
                        _waiting.Add(new PendingBatch<TRow>(_nextRead++, rows));
                    }

                    continue;
                }

                (await _events.Reader.ReadAsync(_stop).ConfigureAwait(false))();
            }
        }
        finally
        {
            await CloseAsync(lifetime, reader).ConfigureAwait(false);
        }
    }

    /// <summary>Sends each waiting batch, in batch order, to a replica that may take it.</summary>
    private void Dispatch()
    {
        for (var i = 0; i < _waiting.Count;)
        {
            var batch = _waiting[i];
            var replica = Choose(batch);
            if (replica is null)
            {
                i++;
                continue;
            }

            _waiting.RemoveAt(i);
            Send(batch, replica);
        }
    }

    /// <summary>
    /// The least busy replica with room; for a batch that failed, one it has not failed on while any such is
    /// alive (even if that one must be waited for), else any.
    /// </summary>
    private Replica<TModel>? Choose(PendingBatch<TRow> batch)
    {
        var avoidTried = batch.Failures > 0 && _replicas.Exists(r => !batch.FailedOn(r.Id));
        Replica<TModel>? best = null;
        foreach (var replica in _replicas)
        {
            if (replica.InFlight < _perReplica && !(avoidTried && batch.FailedOn(replica.Id)) && (best is null || replica.InFlight < best.InFlight))
            {
                best = replica;
            }
        }

        return best;
    }

    private void Send(PendingBatch<TRow> batch, Replica<TModel> replica)
    {
        replica.InFlight++;
        _ = AwaitReplyAsync(batch, replica, _send(replica.Handle, batch.Rows));
    }

    private async Task AwaitReplyAsync(PendingBatch<TRow> batch, Replica<TModel> replica, ObjectRef<TResult> reply)
    {
        TResult? result = default;
        Exception? error = null;
        try
        {
            result = await reply.GetAsync(_stop).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error = ex;
        }

        // False once the map has ended: nobody wants the answer then.
        _events.Writer.TryWrite(() => Answered(batch, replica, result!, error));
    }

    private void Answered(PendingBatch<TRow> batch, Replica<TModel> replica, TResult result, Exception? error)
    {
        replica.InFlight--;
        if (error is null)
        {
            _finished[batch.Index] = result;
            return;
        }

        // The map is being cancelled: that is no failure of the batch, to count and retry.
        _stop.ThrowIfCancellationRequested();
        if (error is ActorDiedException died && died.ActorId == replica.Id)
        {
            // Its other batches fail the same way and come back here as retries.
            Lost(replica);
        }

        batch.Failed(replica.Id, error);
        if (batch.Failures > _maxRetries)
        {
            batch.LastError!.Throw();
        }

        var at = _waiting.FindIndex(w => w.Index > batch.Index);
        _waiting.Insert(at < 0 ? _waiting.Count : at, batch);
    }

    private void Lost(Replica<TModel> replica)
    {
        if (!_replicas.Remove(replica))
        {
            return;
        }

        // Dead as far as its calls can tell (an unreachable node reads the same): make sure, since the map no
        // longer holds it and would not kill it at the end.
        _ = KillQuietlyAsync(replica.Id);
        if (_replicas.Count + _creating.Count < _min)
        {
            StartReplica();
        }
    }

    /// <summary>One more replica when every replica is at its limit and a batch waits, one creation at a time, up to Max.</summary>
    private void Grow()
    {
        if (_waiting.Count == 0 || !CanGrow() || _replicas.Exists(r => r.InFlight < _perReplica))
        {
            return;
        }

        StartReplica();
    }

    private bool CanGrow() => !_growthStopped && _creating.Count == 0 && _replicas.Count < _max;

    /// <summary>
    /// Reads on while the window allows and a batch read now would have somewhere to go: a free slot of a
    /// replica (one being created counts as free), or a replica the pool would grow for it.
    /// </summary>
    private bool ShouldRead()
    {
        if (_sourceDone || _nextRead - _nextYield >= _window)
        {
            return false;
        }

        var free = _creating.Count * _perReplica;
        foreach (var replica in _replicas)
        {
            free += _perReplica - replica.InFlight;
        }

        return _waiting.Count < free || (_waiting.Count == 0 && CanGrow());
    }

    private void ThrowIfNoReplicaLeft()
    {
        if (_replicas.Count > 0 || _creating.Count > 0)
        {
            return;
        }

        if (_creationError is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_creationError);
        }

        throw new GranaryException("MapBatches has no replica left: every actor of its pool died and none could be replaced.");
    }

    private void StartReplica()
    {
        var creation = _create(_stop);
        _creating.Add(creation.ActorId);
        _ = AwaitCreationAsync(creation);
    }

    private async Task AwaitCreationAsync(ReplicaCreation<TModel> creation)
    {
        ActorHandle<TModel>? handle = null;
        Exception? error = null;
        try
        {
            handle = await creation.Created.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error = ex;
        }

        if (!_events.Writer.TryWrite(() => Created(creation.ActorId, handle, error)))
        {
            // The map ended while this replica was being created: nobody will use it.
            await KillQuietlyAsync(creation.ActorId).ConfigureAwait(false);
        }
    }

    private void Created(string actorId, ActorHandle<TModel>? handle, Exception? error)
    {
        _creating.Remove(actorId);
        if (handle is not null)
        {
            _replicas.Add(new Replica<TModel>(handle));
            return;
        }

        // The same shape and constructor would most likely fail again: grow no more, and keep the reason
        // for when no replica is left.
        _growthStopped = true;
        _creationError = error;
    }

    private async ValueTask CloseAsync(CancellationTokenSource lifetime, BatchReader<TRow> reader)
    {
        // After this no reply or creation reaches the loop; a creation that returns later kills its actor itself.
        _events.Writer.TryComplete();
        await lifetime.CancelAsync().ConfigureAwait(false);

        // Replicas whose creation returned but whose news the loop never read are still in _creating.
        var kills = _replicas.Select(r => r.Id).Concat(_creating).Select(KillQuietlyAsync).ToList();
        try
        {
            await reader.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            await Task.WhenAll(kills).ConfigureAwait(false);
        }
    }

    private async Task KillQuietlyAsync(string actorId)
    {
        try
        {
            await _kill(actorId).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Best effort: an owned actor dies with its job anyway (and a client being disposed kills them all).
        }
    }
}
