namespace Granary;

/// <summary>
/// The pool of actor replicas that <c>GranaryClient.MapBatches</c> sends batches to (Ray Data's
/// <c>ActorPoolStrategy</c>). The resources (<see cref="ResourceOptions.Cpus"/>, <see cref="ResourceOptions.Gpus"/>,
/// <see cref="ResourceOptions.MemoryBytes"/>, <see cref="ResourceOptions.Resources"/>, placement) are each
/// replica's, as for one actor: Cpus default to 0, as for any actor. Not thread-safe; MapBatches reads it
/// once, when it is called, so changing it afterwards does not change a map already running.
/// </summary>
public sealed class ActorPoolOptions : ResourceOptions
{
    /// <summary>
    /// Replicas created when the map starts, and kept: a replica that dies is replaced while fewer than
    /// this many are alive or starting. Default 1.
    /// </summary>
    public int Min { get; set; } = 1;

    /// <summary>
    /// The most replicas the pool grows to. Null (the default) means <see cref="Min"/>: a fixed pool. The
    /// pool adds one replica at a time, only when every replica has <see cref="MaxBatchesInFlightPerReplica"/>
    /// batches and another batch is waiting.
    /// </summary>
    public int? Max { get; set; }

    /// <summary>
    /// Batches sent to one replica before it answers (Ray's max_tasks_in_flight_per_actor). The replica runs
    /// them one at a time; the ones queued behind the running batch have already travelled, so the replica
    /// does not wait for the next batch between two. Also bounds how far the map reads ahead (see MapBatches). Default 2.
    /// </summary>
    public int MaxBatchesInFlightPerReplica { get; set; } = 2;

    /// <summary>
    /// How often a failed batch (its replica died, or predict threw) is sent again, to another replica when
    /// there is one it has not failed on. Past that the map throws the batch's last error. Default 3; 0 fails the map at the first failure.
    /// </summary>
    public int MaxBatchRetries { get; set; } = 3;

    /// <summary><see cref="Max"/>, or <see cref="Min"/> when it is not set.</summary>
    internal int MaxReplicas => Max ?? Min;

    internal override void Validate()
    {
        base.Validate();
        if (Min < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Min), Min, "ActorPoolOptions.Min must be 1 or more: the pool needs at least one replica to send batches to.");
        }

        if (Max is { } max && max < Min)
        {
            throw new ArgumentOutOfRangeException(nameof(Max), Max, $"ActorPoolOptions.Max ({max}) must be at least Min ({Min}); raise Max, or leave it null for a fixed pool of Min replicas.");
        }

        if (MaxBatchesInFlightPerReplica < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatchesInFlightPerReplica), MaxBatchesInFlightPerReplica, "ActorPoolOptions.MaxBatchesInFlightPerReplica must be 1 or more (1 sends a replica its next batch only once it answered the last).");
        }

        if (MaxBatchRetries < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatchRetries), MaxBatchRetries, "ActorPoolOptions.MaxBatchRetries must be 0 or more (0 fails the map at a batch's first failure).");
        }
    }
}
