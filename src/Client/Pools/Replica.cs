namespace Granary.Client.Pools;

/// <summary>One live actor of a map's pool and how many batches it has been sent that have not come back. Touched only by the map's loop.</summary>
internal sealed class Replica<TModel>(ActorHandle<TModel> handle)
    where TModel : class
{
    public ActorHandle<TModel> Handle => handle;

    public string Id => handle.Id;

    public int InFlight { get; set; }
}
