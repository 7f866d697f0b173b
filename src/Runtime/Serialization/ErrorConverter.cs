using Granary.Runtime.Wire;

namespace Granary.Runtime.Serialization;

/// <summary>Maps exceptions to their wire form and back, keeping type, message, stack and node.</summary>
internal static class ErrorConverter
{
    public static ErrorInfo FromException(Exception exception, string nodeId, string taskName)
    {
        // Reflection wraps what the user's method threw; report the user's exception.
        while (exception is System.Reflection.TargetInvocationException { InnerException: { } inner })
        {
            exception = inner;
        }

        var info = exception switch
        {
            ErrorInfoException wrapped => wrapped.Info.Clone(),
            RemoteTaskException remote => new ErrorInfo { Kind = ErrorKind.User, Type = remote.RemoteType, Message = remote.RemoteMessage, StackTrace = remote.RemoteStackTrace, NodeId = remote.NodeId, TaskName = remote.TaskName },
            CodeLoadException => new ErrorInfo { Kind = ErrorKind.CodeLoad },
            ValueSerializationException => new ErrorInfo { Kind = ErrorKind.Serialization },
            ActorDiedException => new ErrorInfo { Kind = ErrorKind.ActorDied },
            NodeDiedException => new ErrorInfo { Kind = ErrorKind.NodeDied },
            InfeasibleResourcesException => new ErrorInfo { Kind = ErrorKind.Infeasible },
            ObjectLostException => new ErrorInfo { Kind = ErrorKind.ObjectLost },
            ObjectStoreFullException => new ErrorInfo { Kind = ErrorKind.ObjectStoreFull },
            WorkerCrashedException => new ErrorInfo { Kind = ErrorKind.WorkerCrashed },
            ActorNotFoundException => new ErrorInfo { Kind = ErrorKind.NotFound },
            GranaryException => new ErrorInfo { Kind = ErrorKind.System },
            _ => new ErrorInfo { Kind = ErrorKind.User },
        };

        if (exception is not RemoteTaskException and not ErrorInfoException)
        {
            info.Type = exception.GetType().FullName ?? exception.GetType().Name;
            info.Message = exception.Message;
            info.StackTrace = exception.StackTrace ?? string.Empty;
            info.NodeId = nodeId;
            info.TaskName = taskName;
        }

        if (exception is ActorNotFoundException notFound)
        {
            // The typed exception is rebuilt from the name, which its constructor turns into the message.
            info.Message = notFound.Name;
        }

        if (exception is RemoteTaskException { InnerException: { } cause } && info.Cause is null)
        {
            info.Cause = FromException(cause, nodeId, taskName);
        }

        return info;
    }

    public static Exception ToException(ErrorInfo info)
    {
        var cause = info.Cause is null ? null : ToException(info.Cause);
        return info.Kind switch
        {
            ErrorKind.User => new RemoteTaskException(info.Type, info.Message, info.StackTrace, info.NodeId, info.TaskName, cause),
            ErrorKind.CodeLoad => new CodeLoadException(info.Message, cause),
            ErrorKind.Serialization => new ValueSerializationException(typeof(object), info.Message, cause),
            ErrorKind.ActorDied => new ActorDiedException(string.Empty, info.Message, cause),
            ErrorKind.NodeDied => new NodeDiedException(info.NodeId, info.Message, cause),
            ErrorKind.Infeasible => new InfeasibleResourcesException(info.Message),
            ErrorKind.ObjectLost => new ObjectLostException(string.Empty, info.Message, cause),
            ErrorKind.ObjectStoreFull => new ObjectStoreFullException(info.Message, cause),
            ErrorKind.WorkerCrashed => new WorkerCrashedException(info.Message, cause),
            ErrorKind.NotFound => new ActorNotFoundException(info.Message),
            _ => new GranaryException(info.Message, cause),
        };
    }

    public static ErrorInfo System(string message, string nodeId) =>
        new() { Kind = ErrorKind.System, Type = "Granary.SystemError", Message = message, NodeId = nodeId };
}
