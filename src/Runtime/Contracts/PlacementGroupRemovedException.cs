namespace Granary;

/// <summary>
/// The task's placement group was removed (RemovePlacementGroupAsync, or its job ended) while the task
/// waited for it or ran in it, as in Ray: the task was stopped and its resources went back. Not retryable:
/// create the group again and submit the task to the new one.
/// </summary>
public sealed class PlacementGroupRemovedException : GranaryException
{
    public PlacementGroupRemovedException(string message, Exception? innerException = null) : base(message, innerException)
    {
    }
}
