using Granary.Runtime.Serialization;
using Granary.Runtime.Grains;
using Granary.Runtime.Wire;

namespace Granary.Client.Submission;

/// <summary>
/// Owner-side scheduling, after Ray's lease model: for each resource shape the client asks the head for
/// leases (a reservation on one node) and pushes tasks straight to the leased node, many per lease when
/// tasks are short. Idle leases go back after a short linger so back-to-back calls reuse them. Failures of
/// the node retry the task per MaxRetries; the result entry completes exactly once. Thread-safe.
/// </summary>
internal sealed partial class TaskSubmitter : IAsyncDisposable
{
    private const int MaxLeasesPerShape = 256;
    private static readonly TimeSpan _leaseLinger = TimeSpan.FromMilliseconds(100);

    private readonly object _gate = new();
    private readonly Dictionary<string, SchedulingQueue> _queues = new(StringComparer.Ordinal);
    private readonly Func<IHeadGrain> _head;
    private readonly NodeChannels _nodes;
    private readonly string _jobId;
    private readonly Timer _sweep;
    private bool _disposed;

    public TaskSubmitter(string jobId, Func<IHeadGrain> head, NodeChannels nodes)
    {
        _jobId = jobId;
        _head = head;
        _nodes = nodes;
        _sweep = new Timer(_ => ReleaseIdleLeases(), null, _leaseLinger, _leaseLinger);
    }

    /// <summary>Makes the task findable from its result (<see cref="TryGet"/>) until the result completes.</summary>
    public static void Track(PendingTask task) => task.Result.Producer = task;

    /// <summary>The pending task that computes <paramref name="result"/>, while it has not completed.</summary>
    public static bool TryGet(Runtime.Objects.ObjectEntry result, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PendingTask? task)
    {
        task = result.Producer as PendingTask;
        return task is not null;
    }

    /// <summary>
    /// Cancels a task this client submitted: one still waiting here is never pushed; its result fails with
    /// <see cref="TaskCancelledException"/> now. Returns the lease it was pushed on when it is out on a
    /// node, which the caller then tells; null when it never left the client (or was already cancelled).
    /// </summary>
    public LeaseSlot? Cancel(PendingTask task)
    {
        LeaseSlot? pushedOn;
        lock (_gate)
        {
            if (task.Cancelled && task.PushedOn is null)
            {
                return null;
            }

            task.Cancelled = true;
            pushedOn = task.PushedOn;
        }

        var name = string.IsNullOrEmpty(task.Spec.Name) ? task.Spec.Method.DisplayName : task.Spec.Name;
        Fail(task, new TaskCancelledException(task.Spec.TaskId, name));
        return pushedOn;
    }

    public void Submit(PendingTask task)
    {
        List<Push>? sends = null;
        SchedulingQueue? needsLease;
        lock (_gate)
        {
            if (task.Cancelled)
            {
                // Cancelled while it waited for its arguments; its result has failed already.
                return;
            }

            if (_disposed)
            {
                Fail(task, new ObjectDisposedException(nameof(GranaryClient), "The client was disposed before the task could be scheduled."));
                return;
            }

            if (!_queues.TryGetValue(task.SchedulingKey, out var queue))
            {
                _queues[task.SchedulingKey] = queue = new SchedulingQueue(task.SchedulingKey, task.Request);
            }

            queue.Waiting.Enqueue(task);
            if (queue.Batching && queue.Requests >= Batching.RequestsBeforeHolding)
            {
                // Short tasks already on their way: this one waits for the next answer (or the hold's end)
                // and travels with the others that came meanwhile, instead of in a call of its own.
                HoldLocked(queue);
                return;
            }

            needsLease = PumpLocked(queue, ref sends);
        }

        Dispatch(sends, needsLease);
    }

    private void HoldLocked(SchedulingQueue queue)
    {
        if (queue.HoldArmed)
        {
            return;
        }

        queue.HoldArmed = true;
        _ = EndHoldAsync(queue);
    }

    /// <summary>A held task goes within <see cref="Batching.MaxHold"/> even if no answer comes (one task may wait for another).</summary>
    private async Task EndHoldAsync(SchedulingQueue queue)
    {
        await Task.Delay(Batching.MaxHold).ConfigureAwait(false);
        List<Push>? sends = null;
        SchedulingQueue? needsLease;
        lock (_gate)
        {
            queue.HoldArmed = false;
            if (_disposed)
            {
                return;
            }

            needsLease = PumpLocked(queue, ref sends);
        }

        Dispatch(sends, needsLease);
    }

    public async ValueTask DisposeAsync()
    {
        List<PendingTask> abandoned = [];
        lock (_gate)
        {
            _disposed = true;
            foreach (var queue in _queues.Values)
            {
                abandoned.AddRange(queue.Waiting);
                queue.Waiting.Clear();
                foreach (var slot in queue.Leases)
                {
                    slot.Release();
                }

                queue.Leases.Clear();
            }
        }

        await _sweep.DisposeAsync().ConfigureAwait(false);
        foreach (var task in abandoned)
        {
            Fail(task, new ObjectDisposedException(nameof(GranaryClient), "The client was disposed before the task ran."));
        }
    }

    /// <summary>Hands waiting tasks to lease slots with room; says whether another lease is worth asking for.</summary>
    private SchedulingQueue? PumpLocked(SchedulingQueue queue, ref List<Push>? sends)
    {
        var depth = queue.Depth;
        var batch = queue.Batching;
        Dictionary<LeaseSlot, List<PendingTask>>? open = null;
        while (queue.Waiting.Count > 0)
        {
            LeaseSlot? best = null;
            foreach (var slot in queue.Leases)
            {
                if (slot.InFlight < depth && !slot.Node.IsDead && (slot.Grant.GpuMemory is null || slot.Pushed == 0) && (best is null || slot.InFlight < best.InFlight))
                {
                    best = slot;
                }
            }

            if (best is null)
            {
                break;
            }

            var task = queue.Waiting.Dequeue();
            if (task.Cancelled)
            {
                continue;
            }

            best.InFlight++;
            best.Pushed++;
            task.PushedOn = best;
            if (!batch)
            {
                queue.Requests++;
                (sends ??= []).Add(new Push(best, [task]));
                continue;
            }

            open ??= [];
            if (!open.TryGetValue(best, out var tasks))
            {
                open[best] = tasks = [];
            }

            tasks.Add(task);
            if (tasks.Count == Batching.MaxSize)
            {
                queue.Requests++;
                (sends ??= []).Add(new Push(best, tasks));
                open.Remove(best);
            }
        }

        foreach (var (slot, tasks) in open ?? [])
        {
            queue.Requests++;
            (sends ??= []).Add(new Push(slot, tasks));
        }

        if (queue.Waiting.Count > 0 && !queue.Requesting && queue.Leases.Count < MaxLeasesPerShape)
        {
            // Idle leases of other shapes would hold resources this shape is about to ask for.
            ReleaseIdleLeasesLocked(now: long.MaxValue, except: queue);
            queue.Requesting = true;
            return queue;
        }

        return null;
    }

    private void Dispatch(List<Push>? sends, SchedulingQueue? needsLease)
    {
        foreach (var (slot, tasks) in sends ?? [])
        {
            if (tasks.Count == 1)
            {
                PushOne(tasks[0], slot);
            }
            else
            {
                PushBatch(tasks, slot);
            }
        }

        if (needsLease is not null)
        {
            _ = RequestLeaseAsync(needsLease);
        }
    }

    private void PushOne(PendingTask task, LeaseSlot slot)
    {
        var push = new PushTask { LeaseId = slot.Grant.LeaseId, Spec = task.Spec, GpuMemory = slot.Grant.GpuMemory };
        push.GpuIds.AddRange(slot.Grant.GpuIds);
        task.Stream?.Pushed(slot.Node);
        slot.Node.Grain.PushTask(push, slot.Node.Died).ContinueWith(static (completed, state) =>
        {
            var (self, task, slot) = ((TaskSubmitter, PendingTask, LeaseSlot))state!;
            self.OnReplies([task], slot, completed.IsCompletedSuccessfully ? [completed.Result] : null, completed.Exception);
        }, (this, task, slot), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void PushBatch(List<PendingTask> tasks, LeaseSlot slot)
    {
        var push = new PushTasks { LeaseId = slot.Grant.LeaseId };
        push.GpuIds.AddRange(slot.Grant.GpuIds);
        foreach (var task in tasks)
        {
            push.Specs.Add(task.Spec);
            task.Stream?.Pushed(slot.Node);
        }

        slot.Node.Grain.PushTasks(push, slot.Node.Died).ContinueWith(static (completed, state) =>
        {
            var (self, tasks, slot) = ((TaskSubmitter, List<PendingTask>, LeaseSlot))state!;
            self.OnReplies(tasks, slot, completed.IsCompletedSuccessfully ? completed.Result.Replies : null, completed.Exception);
        }, (this, tasks, slot), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task RequestLeaseAsync(SchedulingQueue queue)
    {
        LeaseSlot? slot = null;
        for (var attempt = 0; slot is null; attempt++)
        {
            LeaseGrant? grant = null;
            try
            {
                grant = await _head().RequestLease(new RequestLease { JobId = _jobId, Request = queue.Request }, CancellationToken.None).ConfigureAwait(false);
                var node = _nodes.Get(grant.NodeId, grant.Address);
                if (node.IsDead)
                {
                    throw new TimeoutException($"node {grant.NodeId} was granted but has died");
                }

                slot = new LeaseSlot(grant, node);
            }
            catch (Exception ex) when ((TransientErrors.IsTransient(ex) || ex is OperationCanceledException) && !_disposed)
            {
                // The request carries no token of ours, so a cancellation came from the head: it dropped the
                // request (it took the job for gone while it was busy, or it is stopping). The keep-alive
                // registers the job again; asking again is right, failing the job's tasks is not.
                if (grant is not null)
                {
                    // Granted on a node we cannot reach (it is dying): give the reservation back and ask again.
                    _ = ReturnQuietlyAsync(grant.LeaseId);
                }

                // The head or the node is away for now (a restart, a node being declared dead): wait, then ask again.
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 50 * (attempt + 1)))).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                List<PendingTask> failed;
                lock (_gate)
                {
                    queue.Requesting = false;
                    failed = [.. queue.Waiting];
                    queue.Waiting.Clear();
                }

                foreach (var task in failed)
                {
                    Fail(task, ex);
                }

                return;
            }
        }

        List<Push>? sends = null;
        SchedulingQueue? needsLease;
        lock (_gate)
        {
            queue.Requesting = false;
            if (_disposed)
            {
                slot.Release();
                return;
            }

            queue.Leases.Add(slot);
            queue.Saturated = slot.Grant.Spare == 0;
            needsLease = PumpLocked(queue, ref sends);
        }

        Dispatch(sends, needsLease);
    }

    private async Task ReturnQuietlyAsync(string leaseId)
    {
        try
        {
            await _head().ReturnLease(leaseId).ConfigureAwait(false);
        }
        catch (Exception ex) when (TransientErrors.IsTransient(ex))
        {
            // The head is away; it drops the lease when the job or the node goes.
        }
    }

    /// <summary>The answer to one push (a task, or a batch of them): <paramref name="replies"/> in task order, or null when the call failed.</summary>
    private void OnReplies(IReadOnlyList<PendingTask> tasks, LeaseSlot slot, IList<TaskReply>? replies, Exception? callError)
    {
        List<Push>? sends = null;
        SchedulingQueue? needsLease = null;
        Exception? systemFailure = null;
        if (replies is null)
        {
            var doing = $"running {tasks[0].Spec.Method.DisplayName}" + (tasks.Count > 1 ? $" and {tasks.Count - 1} more tasks" : string.Empty);
            systemFailure = slot.Node.Failure(callError?.InnerException ?? callError ?? new OperationCanceledException("the call was cancelled"), doing);
        }
        else if (replies.Count != tasks.Count)
        {
            systemFailure = new GranaryException($"Node {slot.Node.NodeId} answered {replies.Count} replies for {tasks.Count} tasks; the tasks' results are unknown.");
            replies = null;
        }

        List<(PendingTask Task, TaskReply? Reply)> finished = new(tasks.Count);
        List<PendingTask>? rebuildInputs = null;
        List<LeaseSlot>? spent = null;
        List<SchedulingQueue>? aloneQueues = null;
        List<SchedulingQueue>? aloneNeedsLease = null;
        lock (_gate)
        {
            _queues.TryGetValue(tasks[0].SchedulingKey, out var queue);
            slot.InFlight -= tasks.Count;
            if (queue is not null)
            {
                queue.Requests--;
            }

            if (slot.InFlight == 0)
            {
                slot.IdleSince = Environment.TickCount64;

                // An idle queue holding a single lease forgets that the cluster was full: the next burst
                // finds out afresh instead of piling onto that lease while other nodes may have room. With
                // several leases the queue already spans the room it found, and forgetting would send every
                // burst out one task per lease until the head answered again (a benchmark of short tasks
                // ran 40 times slower so).
                if (queue is not null && queue.Waiting.Count == 0 && queue.InFlight == 0 && queue.Leases.Count <= 1)
                {
                    queue.Saturated = false;
                }
            }

            if (slot.Grant.GpuMemory is not null && !slot.Dead)
            {
                // A GPU memory lease carries one task: the next is placed by the profile as it stands then.
                slot.Dead = true;
                queue?.Leases.Remove(slot);
                (spent ??= []).Add(slot);
            }

            if (!slot.Dead && (systemFailure is NodeDiedException || replies?.Any(r => r.Error is { Kind: ErrorKind.PlacementGroupRemoved }) == true))
            {
                // A lease the head stopped (its group was removed) goes back by itself once its tasks stop;
                // the queue's next task asks the head, which fails it as the group's.
                slot.Dead = true;
                queue?.Leases.Remove(slot);
            }

            for (var i = 0; i < tasks.Count; i++)
            {
                var task = tasks[i];
                task.PushedOn = null;
                var reply = replies?[i];
                if (reply is not null && queue is not null)
                {
                    queue.AverageMicros = Batching.Average(queue.AverageMicros, reply.RunMicros);
                }

                if (reply?.Error is { Kind: ErrorKind.ObjectLost or ErrorKind.NodeDied } && !task.Cancelled && task.RetriesLeft > 0 && !_disposed && HasLostInputs(task))
                {
                    // An argument's only copy went with its node: compute it again first (Ray's lineage), then run.
                    task.RetriesLeft--;
                    (rebuildInputs ??= []).Add(task);
                    continue;
                }

                if (reply?.Error is { Kind: ErrorKind.GpuOutOfMemory } && task.Request.GpuMemory is { Alone: false, Bytes: 0 } && !task.RetriedAlone && !task.Cancelled && !_disposed)
                {
                    // Out of GPU memory beside other tasks: the node told the head, which raised the profile;
                    // this run goes again on a device of its own (its own budget, not MaxRetries).
                    (aloneQueues ??= []).Add(RetryAloneLocked(task));
                    continue;
                }

                var retryable = systemFailure is NodeDiedException
                    || reply?.Error is { Kind: ErrorKind.WorkerCrashed or ErrorKind.NodeDied }
                    || (reply?.Error is { Kind: ErrorKind.User } && task.RetryExceptions);
                if (retryable && !task.Cancelled && task.RetriesLeft > 0 && queue is not null && !_disposed)
                {
                    task.RetriesLeft--;
                    var spec = task.Spec.Clone();
                    spec.Attempt++;
                    task.Spec = spec;
                    queue.Waiting.Enqueue(task);
                }
                else
                {
                    finished.Add((task, reply));
                }
            }

            if (queue is not null)
            {
                needsLease = PumpLocked(queue, ref sends);
            }

            foreach (var alone in aloneQueues ?? [])
            {
                if (PumpLocked(alone, ref sends) is { } other)
                {
                    (aloneNeedsLease ??= []).Add(other);
                }
            }
        }

        foreach (var used in spent ?? [])
        {
            used.Release();
        }

        foreach (var alone in aloneNeedsLease ?? [])
        {
            _ = RequestLeaseAsync(alone);
        }

        foreach (var (task, reply) in finished)
        {
            Complete(task, reply, systemFailure);
        }

        foreach (var task in rebuildInputs ?? [])
        {
            _ = RebuildInputsThenSubmitAsync(task);
        }

        Dispatch(sends, needsLease);
    }

    /// <summary>Moves a task that ran out of GPU memory on a shared device to the queue that asks for a device of its own.</summary>
    private SchedulingQueue RetryAloneLocked(PendingTask task)
    {
        task.RetriedAlone = true;
        var request = task.Request.Clone();
        request.GpuMemory.Alone = true;
        task.Request = request;
        task.SchedulingKey += "|alone";
        var spec = task.Spec.Clone();
        spec.Attempt++;
        task.Spec = spec;
        if (!_queues.TryGetValue(task.SchedulingKey, out var queue))
        {
            _queues[task.SchedulingKey] = queue = new SchedulingQueue(task.SchedulingKey, request);
        }

        queue.Waiting.Enqueue(task);
        return queue;
    }

    private void Complete(PendingTask task, TaskReply? reply, Exception? systemFailure)
    {
        if (reply is null)
        {
            Fail(task, systemFailure!);
            return;
        }

        if (task.Result.TryComplete(reply) && task.Result.Location is not null)
        {
            KeepLineage(task);
        }

        EndSpan(task, reply.Error);
    }

    private static void Fail(PendingTask task, Exception error)
    {
        var info = ErrorConverter.FromException(error, string.Empty, task.Spec.Method.DisplayName);
        task.Result.TrySetError(error, info);
        EndSpan(task, info);
    }

    /// <summary>Ends the task's span, if it has one that is still open: a task's result completes once, but several paths may try.</summary>
    public static void EndSpan(PendingTask task, ErrorInfo? error)
    {
        if (task.TakeSpan() is { } span)
        {
            Runtime.Telemetry.GranaryTracing.End(span, error);
        }
    }

    private void ReleaseIdleLeases()
    {
        lock (_gate)
        {
            ReleaseIdleLeasesLocked(Environment.TickCount64, except: null);
        }
    }

    /// <summary>Returns leases idle for the linger time (all idle ones when <paramref name="now"/> is far ahead).</summary>
    private void ReleaseIdleLeasesLocked(long now, SchedulingQueue? except)
    {
        foreach (var queue in _queues.Values)
        {
            if (queue.Waiting.Count > 0 || queue == except)
            {
                continue;
            }

            for (var i = queue.Leases.Count - 1; i >= 0; i--)
            {
                var slot = queue.Leases[i];
                if (slot.InFlight == 0 && (now == long.MaxValue || now - slot.IdleSince >= (long)_leaseLinger.TotalMilliseconds))
                {
                    queue.Leases.RemoveAt(i);
                    queue.Saturated = false;
                    slot.Release();
                }
            }
        }
    }

    /// <summary>One call a pump makes: a task, or a batch of short ones, on one lease.</summary>
    private readonly record struct Push(LeaseSlot Slot, List<PendingTask> Tasks);
}
