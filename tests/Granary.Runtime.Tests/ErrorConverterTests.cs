using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Tests;

public sealed class ErrorConverterTests
{
    [Fact]
    public void A_user_exception_keeps_type_message_stack_and_node()
    {
        Exception thrown;
        try
        {
            throw new InvalidOperationException("nope");
        }
        catch (Exception ex)
        {
            thrown = ex;
        }

        var info = ErrorConverter.FromException(thrown, "node-1", "Jobs.Run");
        var typed = Assert.IsType<InvalidOperationException>(ErrorConverter.ToException(info));
        Assert.Equal("nope", typed.Message);
        var back = Assert.IsType<RemoteTaskException>(typed.InnerException);
        Assert.Equal(typeof(InvalidOperationException).FullName, back.RemoteType);
        Assert.Equal("nope", back.RemoteMessage);
        Assert.Equal("node-1", back.NodeId);
        Assert.Contains(nameof(A_user_exception_keeps_type_message_stack_and_node), back.RemoteStackTrace);
    }

    [Fact]
    public void A_type_this_process_cannot_load_comes_back_as_a_RemoteTaskException()
    {
        var info = new ErrorInfo { Kind = ErrorKind.User, Type = "Their.Error", AssemblyQualifiedType = "Their.Error, TheirAssembly, Version=1.0.0.0", Message = "far away" };
        var back = Assert.IsType<RemoteTaskException>(ErrorConverter.ToException(info));
        Assert.Equal("Their.Error", back.RemoteType);
        Assert.Equal("far away", back.RemoteMessage);
    }

    [Fact]
    public void A_rebuilt_exception_passes_on_with_its_first_node_and_stack()
    {
        var info = new ErrorInfo { Kind = ErrorKind.User, Type = typeof(FormatException).FullName, AssemblyQualifiedType = typeof(FormatException).AssemblyQualifiedName, Message = "bad", StackTrace = "at Far.Away()", NodeId = "node-1", TaskName = "Jobs.Parse" };
        var again = ErrorConverter.FromException(ErrorConverter.ToException(info), "node-2", "Jobs.Next");
        Assert.Equal("node-1", again.NodeId);
        Assert.Equal("Jobs.Parse", again.TaskName);
        Assert.Equal("at Far.Away()", again.StackTrace);
        Assert.Equal(info.AssemblyQualifiedType, again.AssemblyQualifiedType);
    }

    [Fact]
    public void Causes_survive_the_trip()
    {
        var info = new ErrorInfo { Kind = ErrorKind.User, Type = "T", Message = "outer", Cause = new ErrorInfo { Kind = ErrorKind.User, Type = "C", Message = "inner" } };
        var back = Assert.IsType<RemoteTaskException>(ErrorConverter.ToException(info));
        Assert.Equal("inner", Assert.IsType<RemoteTaskException>(back.InnerException).RemoteMessage);
    }

    [Theory]
    [InlineData((int)ErrorKind.NodeDied, typeof(NodeDiedException))]
    [InlineData((int)ErrorKind.ActorDied, typeof(ActorDiedException))]
    [InlineData((int)ErrorKind.Infeasible, typeof(InfeasibleResourcesException))]
    [InlineData((int)ErrorKind.CodeLoad, typeof(CodeLoadException))]
    [InlineData((int)ErrorKind.ObjectLost, typeof(ObjectLostException))]
    [InlineData((int)ErrorKind.WorkerCrashed, typeof(WorkerCrashedException))]
    public void System_kinds_map_to_typed_exceptions(int kind, Type expected)
    {
        // The wire enum is internal, so the cases carry its values.
        Assert.IsType(expected, ErrorConverter.ToException(new ErrorInfo { Kind = (ErrorKind)kind, Message = "m" }));
    }

    /// <summary>
    /// As in Ray, where a dead worker is a system failure retried under max_retries: the node or the worker
    /// process that ran the work died, so the work may succeed elsewhere. Everything else would fail again.
    /// </summary>
    [Fact]
    public void Node_deaths_and_worker_crashes_are_retryable_and_nothing_else_is()
    {
        Assert.True(new NodeDiedException("n", "gone").IsRetryable);
        Assert.True(new WorkerCrashedException("exited with code 1").IsRetryable);

        GranaryException[] final =
        [
            new ActorDiedException("a", "gone"),
            new InfeasibleResourcesException("too big"),
            new CodeLoadException("missing"),
            new ObjectLostException("o", "lost"),
            new ActorNotFoundException("none"),
            new ObjectStoreFullException("full"),
            new ValueSerializationException(typeof(object), "cannot"),
            new GranaryException("system"),
            new RemoteTaskException("T", "threw", string.Empty, "n", "Jobs.Run", null),
        ];
        Assert.All(final, e => Assert.False(e.IsRetryable, e.GetType().Name));

        // The same holds after the trip through the wire.
        Assert.True(ErrorConverter.ToException(ErrorConverter.FromException(new WorkerCrashedException("x"), "n", "Jobs.Run")) is GranaryException { IsRetryable: true });
        Assert.True(ErrorConverter.ToException(ErrorConverter.FromException(new NodeDiedException("n", "x"), "n", "Jobs.Run")) is GranaryException { IsRetryable: true });
    }
}
