using System.Linq.Expressions;
using System.Reflection;
using Granary.Client.Calls;
using Granary.Client.Actors;
using Granary.Client.Submission;
using Granary.Runtime.Grains;
using Granary.Runtime.Objects;
using Granary.Runtime.Wire;

namespace Granary;

public sealed partial class GranaryClient
{
    /// <summary>
    /// Creates an actor from a constructor call (<c>() =&gt; new Counter(0)</c>) or a static factory, placed where
    /// its resources fit. A name makes it findable cluster-wide; creating an existing name fails (use
    /// <see cref="GetOrCreateActorAsync{T}"/> to share one).
    /// </summary>
    public Task<ActorHandle<T>> CreateActorAsync<T>(Expression<Func<T>> factory, ActorOptions? options = null, CancellationToken cancellationToken = default)
        where T : class =>
        CreateActorCoreAsync<T>(factory, options ?? ActorOptions.Default, getIfExists: false, cancellationToken);

    /// <summary>
    /// Returns the actor with this name, creating it with <paramref name="factory"/> if there is none. Exactly
    /// one activation exists per name, even when clients race to create it.
    /// </summary>
    public Task<ActorHandle<T>> GetOrCreateActorAsync<T>(string name, Expression<Func<T>> factory, ActorOptions? options = null, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var named = Copy(options ?? ActorOptions.Default);
        named.Name = name;
        return CreateActorCoreAsync<T>(factory, named, getIfExists: true, cancellationToken);
    }

    /// <summary>Looks up a named actor; throws <see cref="ActorNotFoundException"/> when there is none.</summary>
    public async Task<ActorHandle<T>> GetActorAsync<T>(string name, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ThrowIfDisposed();
        var reply = await Head.GetNamedActor(name, WireNamespace, JobId, cancellationToken).ConfigureAwait(false);
        return Handle<T>(reply);
    }

    /// <summary>
    /// The namespace this client names on the wire: the driver's own (ClientOptions.Namespace); empty for an
    /// in-cluster client, whose head then takes its job's (the driver registered it with the job's settings).
    /// </summary>
    private string WireNamespace => _taskObjects is null ? _options.Namespace : string.Empty;

    internal ActorHandle<T> Handle<T>(ActorInfo info)
        where T : class =>
        info.TypeName == typeof(T).FullName
            ? new ActorHandle<T>(this, info)
            : throw new ArgumentException($"Actor '{info.Name}' is a {info.TypeName}, not a {typeof(T).FullName}.", nameof(T));

    /// <summary>Kills an actor (detached ones included); calls queued or made after fail with <see cref="ActorDiedException"/>.</summary>
    public async Task KillAsync<T>(ActorHandle<T> actor, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(actor);
        await Head.KillActor(actor.Id, WireNamespace, JobId, cancellationToken).ConfigureAwait(false);
    }

    internal ObjectEntry CallActor(ActorInfo actor, ActorCallQueue queue, LambdaExpression call)
    {
        ThrowIfDisposed();
        var parsed = CallParser.ParseActorCall(call);
        var taskId = NewId("t-");
        var spec = new TaskSpec { TaskId = taskId, JobId = JobId, Method = parsed.Reference };
        var dependencies = ArgumentBuilder.Build(parsed, [], spec.Args, _objects.Serializer, out var borrowed);
        var (codeReady, version) = _code.Ensure(parsed.Method);
        spec.ManifestVersion = version;
        var entry = new ObjectEntry(taskId, _objects);
        RecordChild(entry);
        queue.Enqueue(new ActorCall { ActorId = actor.ActorId, Spec = spec }, entry, parsed.DisplayName, dependencies, codeReady, borrowed);
        return entry;
    }

    internal ActorCallQueue NewCallQueue(ActorInfo actor) => new(actor, _actorRoutes);

    /// <param name="actorId">The new actor's id, when the caller must know it before the head answers (MapBatches kills by it); null picks one.</param>
    private async Task<ActorHandle<T>> CreateActorCoreAsync<T>(LambdaExpression factory, ActorOptions options, bool getIfExists, CancellationToken cancellationToken, string? actorId = null)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(factory);
        ThrowIfDisposed();
        options.Validate();
        var parsed = CallParser.ParseFactory(factory);
        var spec = new ActorSpec
        {
            ActorId = actorId ?? NewId("a-"),
            JobId = JobId,
            Namespace = WireNamespace,
            Name = options.Name ?? string.Empty,
            Lifetime = options.Lifetime == ActorLifetime.Detached ? ActorLifetimeKind.ActorLifetimeDetached : ActorLifetimeKind.ActorLifetimeOwned,
            Resources = ResourceShape.For(options, defaultCpus: 0, typeof(T).GetCustomAttribute<PlacementAttribute>()?.Strategy, _options.LocalNodeId).Request,
            MaxConcurrency = options.MaxConcurrency,
            MaxRestarts = options.MaxRestarts,
            MaxTaskRetries = options.MaxTaskRetries,
            Factory = parsed.Reference,
            TypeName = typeof(T).FullName ?? typeof(T).Name,
            GetIfExists = getIfExists,
        };
        var staging = new TaskSpec();
        var dependencies = ArgumentBuilder.Build(parsed, [], staging.Args, _objects.Serializer, out var borrowed);
        var (codeReady, version) = _code.Ensure(parsed.Method);
        spec.ManifestVersion = version;
        var probe = new ObjectEntry(spec.ActorId, _objects);
        if (!await ArgumentBuilder.WaitAsync(staging, probe, parsed.DisplayName, dependencies, codeReady, orderAfter: null).ConfigureAwait(false))
        {
            await probe.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        spec.Args.AddRange(staging.Args);
        var reply = await Head.CreateActor(spec, cancellationToken).ConfigureAwait(false);

        // The constructor has run by now; only then may the owner free the values its arguments borrowed.
        GC.KeepAlive(borrowed);
        return Handle<T>(reply);
    }

    /// <summary>Every setting of <paramref name="source"/>, so naming a copy changes nothing else (placement included).</summary>
    private static ActorOptions Copy(ActorOptions source) => source.CopyResourcesTo(new ActorOptions
    {
        Name = source.Name,
        Lifetime = source.Lifetime,
        MaxConcurrency = source.MaxConcurrency,
        MaxRestarts = source.MaxRestarts,
        MaxTaskRetries = source.MaxTaskRetries,
    });
}
