using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using Google.Protobuf;
using Granary.Runtime.Code;
using Granary.Runtime.Wire;

namespace Granary.Client.Code;

/// <summary>
/// Ships the client's application assemblies (everything outside the shared framework and Granary itself)
/// to the head on first use, content-addressed: the head answers which hashes it lacks, and only those are
/// uploaded. Registrations run one after another so the manifest version a task carries is always one the
/// head already has. Thread-safe.
/// </summary>
internal sealed class CodeShipper : ICodeShipping
{
    private static readonly ConcurrentDictionary<Assembly, AssemblyRef?> _describe = new();
    private static readonly string _sharedFrameworkRoot = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", ".."));

    private readonly Func<Granary.Runtime.Grains.IHeadGrain> _head;
    private readonly string _jobId;
    private readonly object _gate = new();
    private readonly HashSet<Assembly> _seen = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<MethodBase, byte> _covered = new();
    private readonly HashSet<string> _registeredNames = new(StringComparer.OrdinalIgnoreCase);
    private Task _chain = Task.CompletedTask;
    private long _uploadedBytes;
    private int _uploadedCount;

    private IReadOnlyList<Type> _serializerTypes;

    // Sent with the first registration only (like the serializers); null once sent.
    private JobSettings? _settings;
    private readonly long _maxCodeBytes;
    private long _registeredBytes;
    private AssemblyRef? _largest;

    // Set once the job's code went over its limit: every later call fails with it, none is registered.
    private CodeLoadException? _refused;

    public CodeShipper(string jobId, Func<Granary.Runtime.Grains.IHeadGrain> head, IReadOnlyList<Type> serializerTypes, JobSettings? settings = null, long maxCodeBytes = GranaryDefaults.MaxCodeBytes)
    {
        _jobId = jobId;
        _head = head;
        _serializerTypes = serializerTypes;
        _settings = settings;
        _maxCodeBytes = maxCodeBytes;
    }

    public int UploadedAssemblies => Volatile.Read(ref _uploadedCount);

    public long UploadedBytes => Interlocked.Read(ref _uploadedBytes);

    /// <summary>Makes sure the code <paramref name="method"/> needs is on the head; returns when it is and the manifest version to send.</summary>
    public (Task Ready, int Version) Ensure(MethodBase method)
    {
        // Every call after a method's first: its assemblies were all seen, nothing new can come from it.
        if (_covered.ContainsKey(method))
        {
            lock (_gate)
            {
                return (_chain, _registeredNames.Count);
            }
        }

        var roots = new List<Assembly> { method.DeclaringType!.Assembly };
        roots.AddRange(_serializerTypes.Select(t => t.Assembly));
        if (method.IsGenericMethod)
        {
            roots.AddRange(method.GetGenericArguments().Select(t => t.Assembly));
        }

        if (method.DeclaringType.IsConstructedGenericType)
        {
            roots.AddRange(method.DeclaringType.GetGenericArguments().Select(t => t.Assembly));
        }

        lock (_gate)
        {
            var fresh = new List<AssemblyRef>();
            foreach (var root in roots)
            {
                Collect(root, fresh);
            }

            _covered.TryAdd(method, 0);
            // A job whose code is all Granary's own (`granary run`'s task) ships nothing, but its settings
            // (environment, secrets, log switch) must still reach the head once, or its nodes never see them.
            if (_refused is not null || (fresh.Count == 0 && _settings is null))
            {
                return (_chain, _registeredNames.Count);
            }

            foreach (var assembly in fresh)
            {
                _registeredBytes += assembly.Size;
                _largest = _largest is null || assembly.Size > _largest.Size ? assembly : _largest;
            }

            if (_registeredBytes > _maxCodeBytes)
            {
                // Before anything is uploaded: the head would refuse it too, after the bytes had travelled.
                _refused = CodeSizeLimit.Exceeded(_jobId, _registeredBytes, _maxCodeBytes, _largest!.Name, _largest.Size);
                _chain = Task.FromException(_refused);
                return (_chain, _registeredNames.Count);
            }

            // The serializers' names and the job's settings go with the first registration.
            var serializers = _serializerTypes.Select(t => t.AssemblyQualifiedName!).ToList();
            _serializerTypes = [];
            var settings = _settings;
            _settings = null;
            var previous = _chain;
            _chain = RegisterAfterAsync(previous, fresh, serializers, settings);
            return (_chain, _registeredNames.Count);
        }
    }

    private void Collect(Assembly assembly, List<AssemblyRef> fresh)
    {
        if (!_seen.Add(assembly) || !IsShippable(assembly))
        {
            return;
        }

        var description = _describe.GetOrAdd(assembly, Describe);
        if (description is not null && _registeredNames.Add(assembly.GetName().Name!))
        {
            fresh.Add(description);
        }

        foreach (var referenced in assembly.GetReferencedAssemblies())
        {
            Assembly loaded;
            try
            {
                loaded = (AssemblyLoadContext.GetLoadContext(assembly) ?? AssemblyLoadContext.Default).LoadFromAssemblyName(referenced);
            }
            catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                // Not resolvable here either; if a task needs it, the silo's error names it.
                continue;
            }

            Collect(loaded, fresh);
        }
    }

    /// <summary>
    /// User code worth shipping: not dynamic, not the shared framework, not Granary or its dependencies,
    /// and not an assembly that defines Orleans grains (grains must be registered with a silo when it
    /// starts, so such an assembly belongs to the silo's host, not to a job).
    /// </summary>
    private static bool IsShippable(Assembly assembly) =>
        !assembly.IsDynamic
        && assembly.Location.Length > 0
        && !JobLoadContext.IsGranaryAssembly(assembly.GetName().Name)
        && !GrainAssemblies.DefinesGrains(assembly.Location)
        && !Path.GetFullPath(assembly.Location).StartsWith(_sharedFrameworkRoot, StringComparison.Ordinal);

    private static AssemblyRef? Describe(Assembly assembly)
    {
        try
        {
            var bytes = File.ReadAllBytes(assembly.Location);
            return new AssemblyRef { Name = assembly.FullName!, Hash = AssemblyBlobCache.Hash(bytes), Size = bytes.Length };
        }
        catch (IOException)
        {
            return null;
        }
    }

    private async Task RegisterAfterAsync(Task previous, List<AssemblyRef> assemblies, List<string> serializers, JobSettings? settings)
    {
        try
        {
            await previous.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // An earlier registration failed; its callers saw that. This one stands on its own.
        }

        var request = new RegisterJobCode { JobId = _jobId };
        request.Assemblies.AddRange(assemblies);
        request.Serializers.AddRange(serializers);
        request.Settings = settings;
        request.MaxCodeBytes = _maxCodeBytes;
        var missing = await _head().RegisterJobCode(request, CancellationToken.None).ConfigureAwait(false);
        foreach (var hash in missing.Hashes)
        {
            var assembly = _describe.First(kv => kv.Value?.Hash == hash).Key;
            var bytes = await File.ReadAllBytesAsync(assembly.Location).ConfigureAwait(false);
            await _head().UploadAssembly(new UploadAssembly { Hash = hash, Content = ByteString.CopyFrom(bytes) }, CancellationToken.None).ConfigureAwait(false);
            Interlocked.Increment(ref _uploadedCount);
            Interlocked.Add(ref _uploadedBytes, bytes.Length);
        }
    }
}
