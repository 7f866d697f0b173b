using Granary.Runtime.Objects;
using MessagePack;
using MessagePack.Formatters;

namespace Granary.Runtime.Serialization;

/// <summary>
/// Writes and reads one actor handle type inside MessagePack values (see <see cref="ActorHandleExtension"/>). A
/// handle read back calls the same actor through the reading process's client: the driver's, or a node's
/// in-cluster client for the job. Each handle read is a new caller, so its calls keep their own order.
/// Thread-safe.
/// </summary>
internal sealed class ActorHandleFormatter<THandle>(Func<IObjectOwner> owner) : IMessagePackFormatter<THandle?>
    where THandle : class, IActorHandleValue<THandle>
{
    public void Serialize(ref MessagePackWriter writer, THandle? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        ActorHandleExtension.Write(ref writer, value.Info);
    }

    public THandle? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        reader.TryReadNil() ? null : THandle.Bind(ActorHandleExtension.Read(ref reader), owner());
}
