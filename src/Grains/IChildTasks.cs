namespace Granary.Grains;

/// <summary>
/// An in-cluster client's record of the tasks that the work running here submitted, for Ray's recursive
/// cancel: cancelling a task cancels what it submitted, and so on down (each child's own node does the same
/// for its children). Implemented by the client, which this assembly cannot name.
/// </summary>
internal interface IChildTasks
{
    /// <summary>Cancels the unfinished tasks that <paramref name="parentTaskId"/> submitted; returns at once.</summary>
    void CancelChildren(string parentTaskId, bool force);
}
