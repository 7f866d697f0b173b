namespace Granary.Grains;

/// <summary>
/// How the tasks and actor calls reaching this silo travelled: one per Orleans call, or several together.
/// Owners batch short work (see docs/architecture.md, "Batches"); these counts show whether they did.
/// Thread-safe.
/// </summary>
internal sealed class CallTraffic
{
    private long _taskCalls;
    private long _taskBatches;
    private long _tasks;
    private long _actorCallMessages;
    private long _actorBatches;
    private long _actorCalls;

    /// <summary>Orleans calls that carried tasks (single pushes and batches).</summary>
    public long TaskCalls => Interlocked.Read(ref _taskCalls);

    /// <summary>Of <see cref="TaskCalls"/>, those that carried more than one task.</summary>
    public long TaskBatches => Interlocked.Read(ref _taskBatches);

    public long Tasks => Interlocked.Read(ref _tasks);

    /// <summary>Orleans calls that carried actor calls (single calls and batches).</summary>
    public long ActorCallMessages => Interlocked.Read(ref _actorCallMessages);

    public long ActorBatches => Interlocked.Read(ref _actorBatches);

    public long ActorCalls => Interlocked.Read(ref _actorCalls);

    public CallTrafficFigures Snapshot() => new(TaskCalls, TaskBatches, Tasks, ActorCallMessages, ActorBatches, ActorCalls);

    public void TasksArrived(int count)
    {
        Interlocked.Increment(ref _taskCalls);
        Interlocked.Add(ref _tasks, count);
        if (count > 1)
        {
            Interlocked.Increment(ref _taskBatches);
        }
    }

    public void ActorCallsArrived(int count)
    {
        Interlocked.Increment(ref _actorCallMessages);
        Interlocked.Add(ref _actorCalls, count);
        if (count > 1)
        {
            Interlocked.Increment(ref _actorBatches);
        }
    }
}
