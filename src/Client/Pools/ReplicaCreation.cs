namespace Granary.Client.Pools;

/// <summary>
/// A replica being created. Its actor id is chosen before the head is asked, so the map can kill the actor
/// by id even when it ends while the creation is still under way.
/// </summary>
internal readonly record struct ReplicaCreation<TModel>(string ActorId, Task<ActorHandle<TModel>> Created)
    where TModel : class;
