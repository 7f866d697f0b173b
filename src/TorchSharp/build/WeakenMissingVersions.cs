// Compiled by MSBuild as an inline task (netstandard, no nullable context) and by the tests as a class: one nullable setting for both.
#nullable disable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Marks the libstdc++ version requirements of an ELF shared library that the system's libstdc++ lacks as
/// weak (VER_FLG_WEAK in .gnu.version_r), in a copy, so the dynamic loader accepts the library when none of
/// its bound symbols needs those versions. Returns the copies as items carrying the originals' metadata;
/// returns nothing when the system already has every version (then nothing needs to change).
/// </summary>
public sealed class GranaryWeakenMissingLibStdCxxVersions : Microsoft.Build.Utilities.Task
{
    private const uint VersionNeededSection = 0x6ffffffe; // SHT_GNU_verneed
    private const ushort WeakFlag = 2;                    // VER_FLG_WEAK

    [Required]
    public ITaskItem[] Natives { get; set; } = Array.Empty<ITaskItem>();

    [Required]
    public string OutputDirectory { get; set; } = string.Empty;

    /// <summary>The libstdc++ to compare with; empty means the one this process has loaded (what the app will load).</summary>
    public string SystemLibrary { get; set; } = string.Empty;

    [Output]
    public ITaskItem[] Replaced { get; set; } = Array.Empty<ITaskItem>();

    public override bool Execute()
    {
        var system = string.IsNullOrEmpty(SystemLibrary) ? FindSystemLibStdCxx() : SystemLibrary;
        if (system is null)
        {
            Log.LogMessage(MessageImportance.Normal, "Granary: no libstdc++ is mapped in this process; libLibTorchSharp.so is left as the package ships it.");
            return true;
        }

        var systemBytes = File.ReadAllBytes(system);
        var replaced = new List<ITaskItem>();
        foreach (var native in Natives)
        {
            var input = native.GetMetadata("FullPath");
            var bytes = File.ReadAllBytes(input);
            var weakened = Weaken(bytes, name => !Contains(systemBytes, name));
            if (weakened.Count == 0)
            {
                continue;
            }

            // One folder per input path, so two packages' copies never collide; rewritten only when the input changed.
            var folder = Path.Combine(OutputDirectory, StableHash(input));
            var output = Path.Combine(folder, Path.GetFileName(input));
            var stamp = input + "|" + new FileInfo(input).Length + "|" + File.GetLastWriteTimeUtc(input).Ticks + "|" + string.Join(",", weakened);
            var stampPath = output + ".stamp";
            if (!File.Exists(output) || !File.Exists(stampPath) || File.ReadAllText(stampPath) != stamp)
            {
                Directory.CreateDirectory(folder);
                File.WriteAllBytes(output, bytes);
                File.WriteAllText(stampPath, stamp);
                Log.LogMessage(MessageImportance.High, $"Granary: {Path.GetFileName(input)} asks for {string.Join(", ", weakened)}, which {system} lacks; a copy with those requirements weak is used instead ({output}).");
            }

            var item = new TaskItem(output);
            native.CopyMetadataTo(item);
            replaced.Add(item);
        }

        Replaced = replaced.ToArray();
        return !Log.HasLoggedErrors;
    }

    /// <summary>
    /// The libstdc++ this process has loaded: MSBuild runs in the dotnet host, which links it, and it is the
    /// file the built application will load too (same loader, same search path).
    /// </summary>
    private static string FindSystemLibStdCxx()
    {
        try
        {
            return File.ReadLines("/proc/self/maps")
                .Select(line => line.Split((char[])null, 6, StringSplitOptions.RemoveEmptyEntries))
                .Where(parts => parts.Length == 6 && Path.GetFileName(parts[5]).StartsWith("libstdc++.so", StringComparison.Ordinal))
                .Select(parts => parts[5].Trim())
                .FirstOrDefault(File.Exists);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>FNV-1a of the path: the same folder in every build (string hashes differ per process).</summary>
    private static string StableHash(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = unchecked((hash ^ c) * 16777619u);
        }

        return hash.ToString("x8");
    }

    private static bool Contains(byte[] haystack, string version)
    {
        // A version the library defines appears in its dynamic string table as a NUL-terminated name.
        // (Inline tasks compile against netstandard: no span search, so a plain scan.)
        var needle = Encoding.ASCII.GetBytes(version + "\0");
        for (var i = 0; i + needle.Length <= haystack.Length; i++)
        {
            if (haystack[i] != needle[0])
            {
                continue;
            }

            var j = 1;
            while (j < needle.Length && haystack[i + j] == needle[j])
            {
                j++;
            }

            if (j == needle.Length)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Sets the weak flag on each libstdc++ version requirement <paramref name="missing"/> accepts; returns their names.</summary>
    private static List<string> Weaken(byte[] elf, Func<string, bool> missing)
    {
        var names = new List<string>();
        VisitLibStdCxxRequirements(elf, (name, flagsAt) =>
        {
            if (missing(name))
            {
                var flags = (ushort)(BitConverter.ToUInt16(elf, flagsAt) | WeakFlag);
                BitConverter.GetBytes(flags).CopyTo(elf, flagsAt);
                names.Add(name);
            }
        });
        return names;
    }

    /// <summary>The libstdc++ versions an ELF library asks for, and whether each is weak (for tests and diagnosis).</summary>
    public static List<KeyValuePair<string, bool>> LibStdCxxRequirements(byte[] elf)
    {
        var found = new List<KeyValuePair<string, bool>>();
        VisitLibStdCxxRequirements(elf, (name, flagsAt) => found.Add(new KeyValuePair<string, bool>(name, (BitConverter.ToUInt16(elf, flagsAt) & WeakFlag) != 0)));
        return found;
    }

    /// <summary>
    /// Walks .gnu.version_r (Elf64_Verneed entries, each with its Elf64_Vernaux list) and calls
    /// <paramref name="visit"/> with each version libstdc++ must provide and the offset of its vna_flags.
    /// </summary>
    private static void VisitLibStdCxxRequirements(byte[] elf, Action<string, int> visit)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
        {
            return; // only 64-bit little-endian ELF, what linux-x64 ships
        }

        var sectionsAt = (long)BitConverter.ToUInt64(elf, 0x28);
        var sectionSize = BitConverter.ToUInt16(elf, 0x3A);
        var sectionCount = BitConverter.ToUInt16(elf, 0x3C);
        for (var i = 0; i < sectionCount; i++)
        {
            var header = sectionsAt + (i * sectionSize);
            if (BitConverter.ToUInt32(elf, (int)header + 4) != VersionNeededSection)
            {
                continue;
            }

            var offset = (long)BitConverter.ToUInt64(elf, (int)header + 24);
            var stringsIndex = BitConverter.ToUInt32(elf, (int)header + 40);
            var entries = BitConverter.ToUInt32(elf, (int)header + 44);
            var strings = (long)BitConverter.ToUInt64(elf, (int)(sectionsAt + (stringsIndex * sectionSize) + 24));

            var need = offset;
            for (var n = 0; n < entries; n++)
            {
                var file = ReadString(elf, strings + BitConverter.ToUInt32(elf, (int)need + 4));
                var auxCount = BitConverter.ToUInt16(elf, (int)need + 2);
                var aux = need + BitConverter.ToUInt32(elf, (int)need + 8);
                for (var a = 0; a < auxCount; a++)
                {
                    if (file.StartsWith("libstdc++.so", StringComparison.Ordinal))
                    {
                        visit(ReadString(elf, strings + BitConverter.ToUInt32(elf, (int)aux + 8)), (int)aux + 4);
                    }

                    aux += BitConverter.ToUInt32(elf, (int)aux + 12);
                }

                need += BitConverter.ToUInt32(elf, (int)need + 12);
            }
        }
    }

    private static string ReadString(byte[] elf, long at)
    {
        var end = Array.IndexOf(elf, (byte)0, (int)at);
        return Encoding.ASCII.GetString(elf, (int)at, end - (int)at);
    }
}
