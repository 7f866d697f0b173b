using System.Collections.Concurrent;
using System.Reflection;
using Granary.Runtime.Objects;
using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Code;

/// <summary>
/// One job's code on one silo: its manifest of shipped assemblies, the collectible load context they live
/// in, resolved methods and a serializer whose caches hold the job's types. Everything here is dropped
/// together by <see cref="Unload"/> so the context can be collected. Thread-safe.
/// </summary>
internal sealed class JobCode
{
    private readonly ICodeSource _source;
    private readonly AssemblyBlobCache _blobs;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private readonly ConcurrentDictionary<(string Assembly, string Type, int Token, string Generics), InvokableMethod> _methods = new();
    private volatile Dictionary<string, AssemblyRef> _bySimpleName = new(StringComparer.OrdinalIgnoreCase);
    private JobLoadContext? _context;

    // Set once the manifest was fetched: a job that ships no code stays at version 0, and still needs its
    // settings from the manifest.
    private volatile bool _fetched;

    /// <param name="objects">Creates the job's objects in this process (task puts, refs read from values); none for tests.</param>
    public JobCode(string jobId, ICodeSource source, AssemblyBlobCache blobs, Func<JobCode, ITaskObjects>? objects = null)
    {
        JobId = jobId;
        _source = source;
        _blobs = blobs;
        _context = new JobLoadContext(jobId, FindShipped);
        Objects = objects?.Invoke(this);
        Serializer = new ValueSerializer(resolveByName: CreateSerializer) { Owner = Objects };
    }

    public string JobId { get; }

    /// <summary>The job's objects in this process: refs its tasks put, and refs read out of its values.</summary>
    public ITaskObjects? Objects { get; }

    public JobLoadContext Context => _context ?? throw new ObjectDisposedException($"job {JobId}'s code was unloaded");

    public ValueSerializer Serializer { get; private set; }

    public int ManifestVersion => _bySimpleName.Count;

    /// <summary>True when the manifest is here and covers every assembly the client had registered by <paramref name="version"/>.</summary>
    public bool Covers(int version) => _fetched && ManifestVersion >= version;

    /// <summary>The job's settings from its manifest (environment, secrets, log switch); empty until the manifest is here.</summary>
    public JobSettings Settings { get; private set; } = new();

    /// <summary>The job's environment variables and secrets as one map, made once; null when it has none.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; private set; }

    /// <summary>Makes sure every assembly the client had registered by <paramref name="version"/> is here.</summary>
    public ValueTask EnsureVersionAsync(int version, CancellationToken cancellationToken) =>
        Covers(version) ? ValueTask.CompletedTask : new ValueTask(RefreshAsync(version, cancellationToken));

    public InvokableMethod Resolve(MethodRef reference)
    {
        // Keyed by (assembly, type, token, generic arguments) without building a string: this runs on every call.
        var generics = reference.GenericArguments.Count == 0 ? string.Empty : string.Join(',', reference.GenericArguments);
        return _methods.GetOrAdd((reference.Assembly, reference.Type, reference.Token, generics), static (_, state) => new InvokableMethod(MethodRefs.Resolve(state.reference, state.self.Context)), (reference, self: this));
    }

    /// <summary>Drops every reference to the job's code and starts unloading; returns a handle to watch collection.</summary>
    public WeakReference Unload()
    {
        var context = _context;
        _context = null;
        _methods.Clear();
        Serializer = new ValueSerializer();
        var weak = new WeakReference(context);
        context?.Unload();
        return weak;
    }

    private async Task RefreshAsync(int version, CancellationToken cancellationToken)
    {
        await _refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Covers(version))
            {
                return;
            }

            var manifest = await _source.GetManifestAsync(JobId, cancellationToken).ConfigureAwait(false);
            foreach (var assembly in manifest.Assemblies)
            {
                if (!_blobs.Contains(assembly.Hash))
                {
                    _blobs.Add(assembly.Hash, await _source.FetchAssemblyAsync(assembly.Hash, cancellationToken).ConfigureAwait(false));
                }
            }

            var map = new Dictionary<string, AssemblyRef>(StringComparer.OrdinalIgnoreCase);
            foreach (var assembly in manifest.Assemblies)
            {
                map[new AssemblyName(assembly.Name).Name!] = assembly;
            }

            if (manifest.Settings is { } settings)
            {
                Environment = settings.Environment.Count + settings.Secrets.Count == 0 ? null
                    : settings.Environment.Concat(settings.Secrets).GroupBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
                Settings = settings;
            }

            _bySimpleName = map;
            _fetched = true;
            if (manifest.Serializers.Count > 0 && _context is not null)
            {
                // Encode results with the client's own serializers, created inside the job's code.
                Serializer = new ValueSerializer([.. manifest.Serializers.Select(CreateSerializer)], CreateSerializer) { Owner = Objects };
            }
        }
        finally
        {
            _refresh.Release();
        }
    }

    private byte[]? FindShipped(AssemblyName name) =>
        name.Name is not null && _bySimpleName.TryGetValue(name.Name, out var shipped) && _blobs.TryGet(shipped.Hash, out var bytes) ? bytes : null;

    private ISerializer CreateSerializer(string typeName)
    {
        using var scope = Context.EnterContextualReflection();
        var type = MethodRefs.ResolveType(typeName, "a custom serializer");
        return Activator.CreateInstance(type) as ISerializer
            ?? throw new CodeLoadException($"'{typeName}' does not implement Granary.ISerializer.");
    }
}
