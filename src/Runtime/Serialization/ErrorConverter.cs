using System.Reflection;
using System.Runtime.ExceptionServices;
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

        // A remote failure rebuilt as its own type passes on as it came, with its first node and stack.
        if (exception.Data[RebuiltKey] is true && exception.InnerException is RemoteTaskException remoteOrigin)
        {
            exception = remoteOrigin;
        }

        var info = exception switch
        {
            ErrorInfoException wrapped => wrapped.Info.Clone(),
            RemoteTaskException remote => new ErrorInfo { Kind = ErrorKind.User, Type = remote.RemoteType, AssemblyQualifiedType = remote.RemoteAssemblyQualifiedType, Message = remote.RemoteMessage, StackTrace = remote.RemoteStackTrace, NodeId = remote.NodeId, TaskName = remote.TaskName },
            CodeLoadException => new ErrorInfo { Kind = ErrorKind.CodeLoad },
            ValueSerializationException => new ErrorInfo { Kind = ErrorKind.Serialization },
            ActorDiedException => new ErrorInfo { Kind = ErrorKind.ActorDied },
            NodeDiedException => new ErrorInfo { Kind = ErrorKind.NodeDied },
            InfeasibleResourcesException => new ErrorInfo { Kind = ErrorKind.Infeasible },
            ObjectLostException => new ErrorInfo { Kind = ErrorKind.ObjectLost },
            ObjectStoreFullException => new ErrorInfo { Kind = ErrorKind.ObjectStoreFull },
            WorkerCrashedException => new ErrorInfo { Kind = ErrorKind.WorkerCrashed },
            ActorNotFoundException => new ErrorInfo { Kind = ErrorKind.NotFound },
            TaskCancelledException => new ErrorInfo { Kind = ErrorKind.TaskCancelled },
            PlacementGroupRemovedException => new ErrorInfo { Kind = ErrorKind.PlacementGroupRemoved },
            RendezvousTimeoutException => new ErrorInfo { Kind = ErrorKind.RendezvousTimeout },
            GpuOutOfMemoryException => new ErrorInfo { Kind = ErrorKind.GpuOutOfMemory },
            GranaryException => new ErrorInfo { Kind = ErrorKind.System },
            _ when IsCudaOutOfMemory(exception) => new ErrorInfo { Kind = ErrorKind.GpuOutOfMemory },
            _ => new ErrorInfo { Kind = ErrorKind.User },
        };

        if (exception is not RemoteTaskException and not ErrorInfoException)
        {
            info.Type = exception.GetType().FullName ?? exception.GetType().Name;
            info.AssemblyQualifiedType = exception.GetType().AssemblyQualifiedName ?? string.Empty;
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
        else if (exception is not RemoteTaskException and not ErrorInfoException && exception.InnerException is { } remoteCause && IsRemoteFailure(remoteCause))
        {
            // A task wrapped the failure of work it submitted itself (a nested task): the caller sees both.
            info.Cause = FromException(remoteCause, nodeId, taskName);
        }

        return info;
    }

    public static Exception ToException(ErrorInfo info)
    {
        var cause = info.Cause is null ? null : ToException(info.Cause);
        return info.Kind switch
        {
            ErrorKind.User => Typed(info, cause) ?? new RemoteTaskException(info.Type, info.Message, info.StackTrace, info.NodeId, info.TaskName, cause) { RemoteAssemblyQualifiedType = info.AssemblyQualifiedType },
            ErrorKind.CodeLoad => new CodeLoadException(info.Message, cause),
            ErrorKind.Serialization => new ValueSerializationException(typeof(object), info.Message, cause),
            ErrorKind.ActorDied => new ActorDiedException(string.Empty, info.Message, cause),
            ErrorKind.NodeDied => new NodeDiedException(info.NodeId, info.Message, cause),
            ErrorKind.Infeasible => new InfeasibleResourcesException(info.Message),
            ErrorKind.ObjectLost => new ObjectLostException(string.Empty, info.Message, cause),
            ErrorKind.ObjectStoreFull => new ObjectStoreFullException(info.Message, cause),
            ErrorKind.WorkerCrashed => new WorkerCrashedException(info.Message, cause),
            ErrorKind.NotFound => new ActorNotFoundException(info.Message),
            ErrorKind.TaskCancelled => new TaskCancelledException(string.Empty, info.TaskName, info.Message, cause),
            ErrorKind.PlacementGroupRemoved => new PlacementGroupRemovedException(info.Message, cause),
            ErrorKind.RendezvousTimeout => new RendezvousTimeoutException(info.Message, cause),
            ErrorKind.GpuOutOfMemory => new GpuOutOfMemoryException(info.Message, cause),
            _ => new GranaryException(info.Message, cause),
        };
    }

    /// <summary>
    /// The user's exception as its own type, when this process can load that type and build one with its
    /// (message, inner exception) constructor, so <c>catch (MyError)</c> works as in Ray. The inner exception
    /// is the <see cref="RemoteTaskException"/> with the node, task name and remote stack; the remote stack also
    /// shows in the exception's own stack trace. Null when the type is unknown here, is not a user exception,
    /// has no such constructor or its constructor throws, or the failure came from a failed argument (which
    /// carries no assembly-qualified type, so a cause chain there stays a RemoteTaskException).
    /// </summary>
    private static Exception? Typed(ErrorInfo info, Exception? cause)
    {
        if (info.AssemblyQualifiedType.Length == 0)
        {
            // Unknown type, or a failed argument (named after its cause's type, which a task never threw).
            return null;
        }

        try
        {
            var type = Type.GetType(info.AssemblyQualifiedType, throwOnError: false);
            if (type is null || type.IsAbstract || !typeof(Exception).IsAssignableFrom(type) || typeof(GranaryException).IsAssignableFrom(type)
                || type.GetConstructor(BindingFlags.Public | BindingFlags.Instance, [typeof(string), typeof(Exception)]) is not { } constructor)
            {
                return null;
            }

            // A cause (the failure of a nested task the user's exception wrapped) hangs under the remote details.
            var remote = new RemoteTaskException(info.Type, info.Message, info.StackTrace, info.NodeId, info.TaskName, cause) { RemoteAssemblyQualifiedType = info.AssemblyQualifiedType };
            var typed = (Exception)constructor.Invoke([info.Message, remote]);
            typed.Data[RebuiltKey] = true;
            ExceptionDispatchInfo.SetRemoteStackTrace(typed, $"{info.StackTrace}{Environment.NewLine}--- end of the stack of {info.TaskName} on node {info.NodeId} ---{Environment.NewLine}");
            return typed;
        }
        catch (Exception ex) when (ex is TargetInvocationException or MemberAccessException or TypeLoadException or IOException or BadImageFormatException or ArgumentException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>
    /// CUDA's out-of-memory failure as the libraries report it (TorchSharp and libtorch: "CUDA out of memory.
    /// Tried to allocate ..."; the runtime: "CUDA error: out of memory"), anywhere in the exception's chain.
    /// </summary>
    internal static bool IsCudaOutOfMemory(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current.Message.Contains("CUDA out of memory", StringComparison.OrdinalIgnoreCase)
                || current.Message.Contains("CUDA error: out of memory", StringComparison.OrdinalIgnoreCase)
                || current.Message.Contains("CUDA_ERROR_OUT_OF_MEMORY", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A failure that came from elsewhere in the cluster: rebuilt from the wire, or one of Granary's own.</summary>
    private static bool IsRemoteFailure(Exception exception) => exception.Data[RebuiltKey] is true || exception is GranaryException;

    /// <summary>Marks an exception rebuilt from a remote failure (in <see cref="Exception.Data"/>, which every exception has).</summary>
    private const string RebuiltKey = "granary.remote";

    public static ErrorInfo System(string message, string nodeId) =>
        new() { Kind = ErrorKind.System, Type = "Granary.SystemError", Message = message, NodeId = nodeId };
}
