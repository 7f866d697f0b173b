namespace Granary.SubmitApp;

/// <summary>The one remote function the app runs on the cluster it joined.</summary>
public static class SubmitJobs
{
    public static string Square(int x) => $"{x * x} on {TaskContext.Current?.NodeId}";
}
