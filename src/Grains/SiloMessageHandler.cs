using Granary.Runtime.Objects;
using Granary.Runtime.Serialization;
using Granary.Runtime.Transport;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging;

namespace Granary.Grains;

/// <summary>
/// Routes every message that reaches a silo to the grain that handles it. A connection must open with a
/// Hello; anything else first closes it. Control-plane messages go to the head grain (on the head silo).
/// Thread-safe.
/// </summary>
internal sealed partial class SiloMessageHandler(SiloRuntime silo) : IMessageHandler
{
    private readonly ILogger _logger = silo.LoggerFactory.CreateLogger("Granary.Silo.Messages");

    public ValueTask<Envelope?> HandleAsync(Connection connection, Envelope message)
    {
        if (message.BodyCase == Envelope.BodyOneofCase.Hello)
        {
            return new ValueTask<Envelope?>(OnHello(connection, message.Hello));
        }

        if (connection.State is null)
        {
            connection.Close($"protocol violation: the first message must be Hello, got {message.BodyCase}");
            return new ValueTask<Envelope?>((Envelope?)null);
        }

        return Route(connection, message);
    }

    /// <summary>Handles a message this silo sends itself (the head addressing its own node).</summary>
    public ValueTask<Envelope?> HandleLocalAsync(Envelope message) => Route(null, message);

    public void OnClosed(Connection connection, string reason)
    {
        if (connection.State is Hello { Role: PeerRole.Client, JobId.Length: > 0 } hello && silo.Head is not null)
        {
            silo.Head.JobDisconnected(hello.JobId, connection);
        }

        if (connection.State is Hello { Role: PeerRole.Silo } peer && silo.Head is not null)
        {
            silo.Head.NodeConnectionLost(peer.NodeId);
        }
    }

    private Envelope OnHello(Connection connection, Hello hello)
    {
        connection.State = hello;
        connection.Peer = hello.Role == PeerRole.Client ? "client " + hello.JobId : "silo " + hello.NodeId;
        if (hello.Role == PeerRole.Silo && hello.Address.Length > 0)
        {
            silo.Peers.Adopt(hello.Address, connection);
        }

        if (hello.Role == PeerRole.Worker)
        {
            // Another silo's worker dials us only to pull objects; just our own workers take tasks.
            silo.Workers.TryAttach(hello.NodeId, connection);
        }

        // A client without a job id only observes (e.g. `granary status`): it starts no job.
        if (hello.Role == PeerRole.Client && hello.JobId.Length > 0 && silo.Head is not null)
        {
            silo.Head.JobConnected(hello.JobId, connection);
        }

        return new Envelope { HelloReply = new HelloReply { NodeId = silo.NodeId, ClusterId = silo.Head?.ClusterId ?? string.Empty } };
    }

    private ValueTask<Envelope?> Route(Connection? connection, Envelope message)
    {
        switch (message.BodyCase)
        {
            case Envelope.BodyOneofCase.PushTask:
                return silo.LeaseFor(message.PushTask.LeaseId, message.PushTask.Spec.JobId, message.PushTask.GpuIds).Enqueue(message.PushTask.Spec);
            case Envelope.BodyOneofCase.ReleaseLease:
                silo.ReleaseLease(message.ReleaseLease.LeaseId);
                return Done();
            case Envelope.BodyOneofCase.ActorCall:
                return silo.TryGetActor(message.ActorCall.ActorId, out var actor)
                    ? actor.Enqueue(message.ActorCall.Spec)
                    : new ValueTask<Envelope?>(NoSuchActor(message.ActorCall));
            case Envelope.BodyOneofCase.ActivateActor:
                return new ValueTask<Envelope?>(ActorActivator.ActivateAsync(silo, message.ActivateActor));
            case Envelope.BodyOneofCase.DeactivateActor:
                silo.DeactivateActor(message.DeactivateActor.ActorId, message.DeactivateActor.Reason);
                return Done();
            case Envelope.BodyOneofCase.GetObject when connection is not null:
                return GetObject(connection, message.GetObject);
            case Envelope.BodyOneofCase.PutObject when message.PutObject.StreamedSize > 0 && connection is not null:
                // The bytes follow as chunks; nothing is stored until CommitObject finds all of them.
                return new ValueTask<Envelope?>(ObjectTransfer.Accept(connection, message.PutObject));
            case Envelope.BodyOneofCase.PutObject:
                silo.Store.Put(message.PutObject.ObjectId, message.PutObject.JobId, message.PutObject.Value);
                return Done();
            case Envelope.BodyOneofCase.CommitObject when connection is not null:
                return new ValueTask<Envelope?>(ObjectTransfer.CommitAsync(connection, message.CommitObject, silo.Store, silo.NodeId));
            case Envelope.BodyOneofCase.FreeObjects:
                foreach (var id in message.FreeObjects.ObjectIds)
                {
                    silo.Store.Free(id);
                }

                return Done();
            case Envelope.BodyOneofCase.JobEnded when connection?.State is Hello { Role: PeerRole.Client } && silo.Head is not null:
                // A client says goodbye: its job ends now, not after the reconnect grace period.
                silo.Head.JobFinished(message.JobEnded.JobId);
                return Done();
            case Envelope.BodyOneofCase.JobEnded:
                silo.EndJob(message.JobEnded.JobId);
                return Done();
            default:
                if (silo.Head is not null)
                {
                    return silo.Head.HandleAsync(connection, message);
                }

                if (connection?.State is Hello { Role: PeerRole.Worker } && message.BodyCase is Envelope.BodyOneofCase.GetJobManifest or Envelope.BodyOneofCase.FetchAssembly)
                {
                    // A worker process asks its silo for code; the silo asks the head.
                    return new ValueTask<Envelope?>(silo.HeadChannel.RequestAsync(message.Clone(), silo.Stopping)!);
                }

                LogUnexpected(message.BodyCase.ToString(), connection?.Peer ?? "self");
                return new ValueTask<Envelope?>(new Envelope { Error = ErrorConverter.System($"silo {silo.NodeId} is not the head and does not handle {message.BodyCase}", silo.NodeId) });
        }
    }

    /// <summary>Serves a stored object: in the reply when it fits one chunk, else streamed ahead of the reply.</summary>
    private ValueTask<Envelope?> GetObject(Connection connection, GetObject request)
    {
        if (!silo.Store.TryGetBytes(request.ObjectId, out var value))
        {
            return new ValueTask<Envelope?>(ObjectTransfer.Lost(request.ObjectId, $"Object {request.ObjectId} is not in node {silo.NodeId}'s store (it was freed, or its job ended).", silo.NodeId));
        }

        return new ValueTask<Envelope?>(ObjectTransfer.ServeAsync(connection, request, value, silo.Stopping));
    }

    private Envelope NoSuchActor(ActorCall call) =>
        ActorGrain.DiedReply(silo.NodeId, $"Actor {call.ActorId} is not alive on node {silo.NodeId}; {call.Spec.Method.DisplayName} did not run.");

    private static ValueTask<Envelope?> Done() => new((Envelope?)null);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unexpected {Message} from {Peer}")]
    private partial void LogUnexpected(string message, string peer);
}
