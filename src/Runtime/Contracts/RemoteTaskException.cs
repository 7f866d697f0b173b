namespace Granary;

/// <summary>
/// A user method threw on a remote node. Carries the remote exception's type, message and stack trace,
/// and the node it ran on. When a task failed because one of its arguments failed, <see cref="Exception.InnerException"/>
/// is that argument's failure (the cause).
/// </summary>
public sealed class RemoteTaskException : GranaryException
{
    public RemoteTaskException(string remoteType, string remoteMessage, string remoteStackTrace, string nodeId, string taskName, Exception? cause = null)
        : base(FormatMessage(remoteType, remoteMessage, nodeId, taskName), cause)
    {
        RemoteType = remoteType;
        RemoteMessage = remoteMessage;
        RemoteStackTrace = remoteStackTrace;
        NodeId = nodeId;
        TaskName = taskName;
    }

    /// <summary>Full name of the exception type thrown remotely, e.g. System.InvalidOperationException.</summary>
    public string RemoteType { get; }

    public string RemoteMessage { get; }

    public string RemoteStackTrace { get; }

    /// <summary>The node the failing method ran on.</summary>
    public string NodeId { get; }

    public string TaskName { get; }

    /// <summary>The thrown type's assembly-qualified name, kept so the failure passes on with it.</summary>
    internal string RemoteAssemblyQualifiedType { get; init; } = string.Empty;

    public override string? StackTrace => RemoteStackTrace + Environment.NewLine + "--- end of remote stack trace ---" + Environment.NewLine + base.StackTrace;

    private static string FormatMessage(string type, string message, string node, string task) =>
        $"{task} failed on node {node}: {type}: {message}";
}
