using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using Granary.Client.Calls;
using Granary.Client.Pools;

namespace Granary;

public sealed partial class GranaryClient
{
    /// <summary>
    /// Batch inference over a pool of actor replicas (Ray Data's <c>map_batches</c> with an actor pool, Spark's
    /// <c>predict_batch_udf</c>): cuts <paramref name="source"/> into arrays of <paramref name="batchSize"/> rows
    /// (the last may be shorter), sends each to a replica made by <paramref name="factory"/> as the actor call
    /// <paramref name="predict"/>, and yields one result per batch, in input order (batch 0 first) whatever order
    /// the replicas finish in. A model is loaded once per replica and serves many batches.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The source is read lazily, as results are asked for: at most Max × MaxBatchesInFlightPerReplica batches
    /// are read and not yet yielded (sent, waiting, or finished behind a slower earlier batch), so a slow batch
    /// holds the reader back, and a consumer that stops reading stops the source being read.
    /// </para>
    /// <para>
    /// The pool starts with <see cref="ActorPoolOptions.Min"/> replicas and adds one at a time, up to
    /// <see cref="ActorPoolOptions.Max"/>, while every replica is at its in-flight limit and a batch waits. A replica
    /// waits for resources like any actor, in the background: the map goes on with the replicas it has and uses a new
    /// one once it is up. A replica that cannot be created (no node could ever hold it, or its constructor threw) stops
    /// the pool growing; the map fails with that error only when it leaves no replica alive or starting.
    /// </para>
    /// <para>
    /// A failed batch (its replica died, or predict threw) is sent again, to a replica it has not failed on while one is
    /// alive, up to <see cref="ActorPoolOptions.MaxBatchRetries"/> times; then the enumeration throws the batch's last
    /// error as it was thrown (a method's exception as its own type, a dead replica as <see cref="ActorDiedException"/>).
    /// A replica that died is replaced while fewer than Min are alive or starting.
    /// </para>
    /// <para>
    /// However the enumeration ends (completed, failed, cancelled, or disposed early), it kills every replica before
    /// it returns; a replica still being created then is cancelled, and killed if its creation still returns one.
    /// Arguments are checked when this is called; nothing runs until the enumeration starts, and each enumeration
    /// runs the map afresh with a pool of its own.
    /// </para>
    /// </remarks>
    /// <param name="source">The rows. Read on the enumerating thread, one batch at a time, and disposed when the map ends.</param>
    /// <param name="batchSize">Rows per batch, 1 or more.</param>
    /// <param name="pool">The pool's size, limits and each replica's resources.</param>
    /// <param name="factory">How a replica is made, as for <see cref="CreateActorAsync{T}"/>: <c>() =&gt; new Model(path)</c>.</param>
    /// <param name="predict">A call of a method of the model with the batch: <c>(model, rows) =&gt; model.Predict(rows)</c>.</param>
    /// <param name="cancellationToken">Ends the map (and kills the pool) with <see cref="OperationCanceledException"/>.</param>
    public IAsyncEnumerable<TResult> MapBatches<TRow, TModel, TResult>(
        IEnumerable<TRow> source,
        int batchSize,
        ActorPoolOptions pool,
        Expression<Func<TModel>> factory,
        Expression<Func<TModel, TRow[], TResult>> predict,
        CancellationToken cancellationToken = default)
        where TModel : class
    {
        ArgumentNullException.ThrowIfNull(source);
        var plan = PlanMapBatches<TRow, TModel, TResult>(batchSize, pool, factory, predict, (handle, rows) => handle.Call(BatchCall.Bind<Func<TModel, TResult>, TRow>(predict, rows)));
        return RunMapBatchesAsync(plan, () => new BatchReader<TRow>(source, batchSize), cancellationToken);
    }

    /// <summary>As <see cref="MapBatches{TRow, TModel, TResult}(IEnumerable{TRow}, int, ActorPoolOptions, Expression{Func{TModel}}, Expression{Func{TModel, TRow[], TResult}}, CancellationToken)"/>, with an async predict.</summary>
    public IAsyncEnumerable<TResult> MapBatches<TRow, TModel, TResult>(
        IEnumerable<TRow> source,
        int batchSize,
        ActorPoolOptions pool,
        Expression<Func<TModel>> factory,
        Expression<Func<TModel, TRow[], Task<TResult>>> predict,
        CancellationToken cancellationToken = default)
        where TModel : class
    {
        ArgumentNullException.ThrowIfNull(source);
        var plan = PlanMapBatches<TRow, TModel, TResult>(batchSize, pool, factory, predict, (handle, rows) => handle.Call(BatchCall.Bind<Func<TModel, Task<TResult>>, TRow>(predict, rows)));
        return RunMapBatchesAsync(plan, () => new BatchReader<TRow>(source, batchSize), cancellationToken);
    }

    /// <summary>
    /// As <see cref="MapBatches{TRow, TModel, TResult}(IEnumerable{TRow}, int, ActorPoolOptions, Expression{Func{TModel}}, Expression{Func{TModel, TRow[], TResult}}, CancellationToken)"/>,
    /// over an asynchronous source (read with the map's token, so cancelling the map cancels it too).
    /// </summary>
    public IAsyncEnumerable<TResult> MapBatches<TRow, TModel, TResult>(
        IAsyncEnumerable<TRow> source,
        int batchSize,
        ActorPoolOptions pool,
        Expression<Func<TModel>> factory,
        Expression<Func<TModel, TRow[], TResult>> predict,
        CancellationToken cancellationToken = default)
        where TModel : class
    {
        ArgumentNullException.ThrowIfNull(source);
        var plan = PlanMapBatches<TRow, TModel, TResult>(batchSize, pool, factory, predict, (handle, rows) => handle.Call(BatchCall.Bind<Func<TModel, TResult>, TRow>(predict, rows)));
        return RunMapBatchesAsync(plan, () => new BatchReader<TRow>(source, batchSize), cancellationToken);
    }

    /// <summary>As the asynchronous-source overload, with an async predict.</summary>
    public IAsyncEnumerable<TResult> MapBatches<TRow, TModel, TResult>(
        IAsyncEnumerable<TRow> source,
        int batchSize,
        ActorPoolOptions pool,
        Expression<Func<TModel>> factory,
        Expression<Func<TModel, TRow[], Task<TResult>>> predict,
        CancellationToken cancellationToken = default)
        where TModel : class
    {
        ArgumentNullException.ThrowIfNull(source);
        var plan = PlanMapBatches<TRow, TModel, TResult>(batchSize, pool, factory, predict, (handle, rows) => handle.Call(BatchCall.Bind<Func<TModel, Task<TResult>>, TRow>(predict, rows)));
        return RunMapBatchesAsync(plan, () => new BatchReader<TRow>(source, batchSize), cancellationToken);
    }

    /// <summary>
    /// Checks the arguments now (so a mistake fails at the call, not at the first result) and fixes the
    /// pool's options, so changing <paramref name="pool"/> later changes no map. Returns how to start a run:
    /// each enumeration is one, with a pool of its own.
    /// </summary>
    private Func<ActorPoolMap<TRow, TModel, TResult>> PlanMapBatches<TRow, TModel, TResult>(
        int batchSize,
        ActorPoolOptions pool,
        LambdaExpression factory,
        LambdaExpression predict,
        Func<ActorHandle<TModel>, TRow[], ObjectRef<TResult>> send)
        where TModel : class
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(predict);
        if (batchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "MapBatches' batchSize must be 1 or more: it is how many rows each predict call gets.");
        }

        ThrowIfDisposed();
        pool.Validate();
        CallParser.ParseFactory(factory);
        BatchCall.Check<TRow>(predict);
        var replica = pool.CopyResourcesTo(new ActorOptions());
        var (min, max, perReplica, retries) = (pool.Min, pool.MaxReplicas, pool.MaxBatchesInFlightPerReplica, pool.MaxBatchRetries);
        return () => new ActorPoolMap<TRow, TModel, TResult>(
            min,
            max,
            perReplica,
            retries,
            create: token =>
            {
                var actorId = NewId("a-");
                return new ReplicaCreation<TModel>(actorId, CreateActorCoreAsync<TModel>(factory, replica, getIfExists: false, token, actorId));
            },
            send,
            kill: actorId => Head.KillActor(actorId, WireNamespace, JobId, CancellationToken.None));
    }

    private static async IAsyncEnumerable<TResult> RunMapBatchesAsync<TRow, TModel, TResult>(
        Func<ActorPoolMap<TRow, TModel, TResult>> plan,
        Func<BatchReader<TRow>> source,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where TModel : class
    {
        await foreach (var result in plan().RunAsync(source(), cancellationToken).ConfigureAwait(false))
        {
            yield return result;
        }
    }
}
