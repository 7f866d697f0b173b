namespace Granary;

/// <summary>The worker process running the task died (it exited or crashed); retrying may succeed.</summary>
public sealed class WorkerCrashedException : GranaryException
{
    public WorkerCrashedException(string message, Exception? innerException = null) : base(message, innerException)
    {
    }

    public override bool IsRetryable => true;
}
