using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using Granary.Runtime.Serialization;

namespace Granary.Runtime.Tests;

/// <summary>
/// A job's code lives in a collectible load context that must unload when the job ends, so writing and reading
/// its types must leave nothing behind once the job's serializer is dropped. MessagePack's emitted formatters and
/// System.Text.Json's caches both kept such a context loaded.
/// </summary>
public sealed class ValueSerializerUnloadTests
{
    [Fact]
    public void A_jobs_types_written_and_read_do_not_keep_its_code_loaded()
    {
        var context = RoundTripInCollectibleContext();
        for (var i = 0; i < 100 && context.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Thread.Sleep(20);
        }

        Assert.False(context.IsAlive, "the collectible context stayed loaded after its types were serialized");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference RoundTripInCollectibleContext()
    {
        var context = new AssemblyLoadContext("granary-unload-test", isCollectible: true);
        var assembly = context.LoadFromAssemblyPath(typeof(ValueSerializerUnloadTests).Assembly.Location);
        var tree = assembly.GetType(typeof(ValueSerializerTests.Tree).FullName!)!;
        var boxes = assembly.GetType(typeof(ValueSerializerTests.Boxes).FullName!)!;
        var shade = Enum.ToObject(assembly.GetType(typeof(ValueSerializerTests.Shade).FullName!)!, 1);
        var leaf = Activator.CreateInstance(tree, "leaf", Activator.CreateInstance(typeof(List<>).MakeGenericType(tree)), shade);

        var serializer = new ValueSerializer();
        var read = serializer.Deserialize(serializer.Serialize(leaf, tree), tree);
        Assert.Equal("leaf", tree.GetProperty(nameof(ValueSerializerTests.Tree.Name))!.GetValue(read));
        var boxed = Activator.CreateInstance(boxes, [new object?[] { leaf, 2, null }]);
        Assert.NotNull(serializer.Deserialize(serializer.Serialize(boxed, boxes), boxes));

        context.Unload();
        return new WeakReference(context);
    }
}
