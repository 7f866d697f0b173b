using System.Collections.Concurrent;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Granary.Client.Code;

/// <summary>
/// Tells whether an assembly defines Orleans grain classes, from its metadata alone (nothing is loaded or
/// resolved). Such an assembly belongs to the silo's host: grains must be registered when a silo starts,
/// and a copy loaded into a job's context would make every silo started later in the process see its
/// grains twice. Thread-safe; each file is read once.
/// </summary>
internal static class GrainAssemblies
{
    private static readonly ConcurrentDictionary<string, bool> _known = new(StringComparer.Ordinal);

    public static bool DefinesGrains(string path) => _known.GetOrAdd(path, static p =>
    {
        try
        {
            using var stream = File.OpenRead(p);
            using var pe = new PEReader(stream);
            if (!pe.HasMetadata)
            {
                return false;
            }

            var reader = pe.GetMetadataReader();
            foreach (var handle in reader.TypeDefinitions)
            {
                var type = reader.GetTypeDefinition(handle);
                if (IsOrleansGrainBase(reader, type.BaseType) || type.GetInterfaceImplementations().Any(i => IsOrleansGrainBase(reader, reader.GetInterfaceImplementation(i).Interface)))
                {
                    return true;
                }
            }

            return false;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    });

    private static bool IsOrleansGrainBase(MetadataReader reader, EntityHandle handle)
    {
        if (handle.IsNil)
        {
            return false;
        }

        if (handle.Kind == HandleKind.TypeSpecification)
        {
            // Grain<TState>: the generic type's definition is what names it.
            var blob = reader.GetBlobReader(reader.GetTypeSpecification((TypeSpecificationHandle)handle).Signature);
            if (blob.ReadSignatureTypeCode() != SignatureTypeCode.GenericTypeInstance)
            {
                return false;
            }

            blob.ReadSignatureTypeCode();
            handle = blob.ReadTypeHandle();
        }

        if (handle.Kind != HandleKind.TypeReference)
        {
            return false;
        }

        var reference = reader.GetTypeReference((TypeReferenceHandle)handle);
        return reader.StringComparer.Equals(reference.Namespace, "Orleans")
            && (reader.StringComparer.Equals(reference.Name, "Grain") || reader.StringComparer.Equals(reference.Name, "Grain`1") || reader.StringComparer.Equals(reference.Name, "IGrainBase"));
    }
}
