namespace Granary.Client.Submission;

/// <summary>
/// The node a streaming task was last pushed to, and a signal for the next push (a retry, maybe elsewhere),
/// so its reader asks the node that runs it now. Thread-safe.
/// </summary>
internal sealed class StreamLocation
{
    private readonly object _gate = new();
    private NodeChannel? _node;
    private int _pushes;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Pushed(NodeChannel node)
    {
        TaskCompletionSource next;
        lock (_gate)
        {
            _node = node;
            _pushes++;
            next = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        next.TrySetResult();
    }

    /// <summary>The node of the latest push (null before the first), how many pushes so far, and a task that completes at the next.</summary>
    public (NodeChannel? Node, int Pushes, Task NextPush) Current
    {
        get
        {
            lock (_gate)
            {
                return (_node, _pushes, _next.Task);
            }
        }
    }
}
