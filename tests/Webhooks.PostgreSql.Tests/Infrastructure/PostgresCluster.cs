using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Webhooks.PostgreSql.Tests.Infrastructure;

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresCluster>
{
    public const string Name = "PostgreSQL";
}

/// <summary>
/// One throwaway PostgreSQL cluster for the whole test run: initdb + pg_ctl on a free loopback port,
/// its socket in a temp dir, run as the 'postgres' user when the tests run as root; stopped and
/// deleted at the end. With WEBHOOKS_TEST_POSTGRES set, that server is used instead. Each test class
/// gets its own database from <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    public const string EnvironmentVariable = "WEBHOOKS_TEST_POSTGRES";

    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _databases = new();
    private readonly string _runId = Guid.NewGuid().ToString("N")[..8];
    private string? _dir;
    private string? _binDir;
    private int _port;
    private bool _asPostgresUser;
    private readonly bool _forceOwn;

    public PostgresCluster()
        : this(forceOwn: false)
    {
    }

    private PostgresCluster(bool forceOwn) => _forceOwn = forceOwn;

    /// <summary>Starts a private cluster (ignoring WEBHOOKS_TEST_POSTGRES), for a test that must restart its server.</summary>
    public static async Task<PostgresCluster> StartPrivateAsync()
    {
        var cluster = new PostgresCluster(forceOwn: true);
        await cluster.InitializeAsync();
        return cluster;
    }

    /// <summary>A connection string to the maintenance database, as a superuser (or a user who may create databases).</summary>
    public string AdminConnectionString { get; private set; } = "";

    /// <summary>Whether this run started the server (and so may restart it).</summary>
    public bool IsOwned => _dir is not null;

    public async Task InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external) && !_forceOwn)
        {
            AdminConnectionString = external;
            return;
        }

        await StartOwnAsync();
    }

    /// <summary>Creates (once) a database for <paramref name="name"/> and returns its connection string.</summary>
    public Task<string> CreateDatabaseAsync(string name) =>
        _databases.GetOrAdd(name, n => new Lazy<Task<string>>(() => CreateDatabaseCoreAsync(n))).Value;

    /// <summary>Stops the server (fast shutdown: sessions are cut) and starts it again on the same port.</summary>
    public async Task RestartAsync(TimeSpan downtime)
    {
        if (!IsOwned)
        {
            throw new InvalidOperationException($"The server from {EnvironmentVariable} cannot be restarted by the tests.");
        }

        await PgCtlAsync("stop", "-m", "fast", "-w");
        await Task.Delay(downtime);
        await StartServerAsync();

        // The tests' own pooled connections died with the server.
        NpgsqlConnection.ClearAllPools();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (!IsOwned)
        {
            await DropExternalDatabasesAsync();
            return;
        }

        try
        {
            await PgCtlAsync("stop", "-m", "immediate", "-w");
        }
        finally
        {
            try
            {
                Directory.Delete(_dir!, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>The directory holding initdb and pg_ctl, or null.</summary>
    public static string? FindBinDir()
    {
        var candidates = new List<string>();
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .OrderByDescending(x => x.Version)
                .Select(x => Path.Combine(x.Dir, "bin")));
        }

        try
        {
            var (code, output) = RunAsync("pg_config", ["--bindir"]).GetAwaiter().GetResult();
            if (code == 0)
            {
                candidates.Add(output.Trim());
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No pg_config on PATH.
        }

        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    private async Task StartOwnAsync()
    {
        _binDir = FindBinDir() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin or `pg_config --bindir`. " +
            "Install them (Debian/Ubuntu: `sudo apt-get install postgresql`; scripts/test.sh does this for you), " +
            $"or set {EnvironmentVariable} to the connection string of a server where the test user may create databases.");
        _asPostgresUser = Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root";
        _dir = Path.Combine(Path.GetTempPath(), "webhooks-pg-" + _runId);
        Directory.CreateDirectory(_dir);
        if (_asPostgresUser)
        {
            var (code, output) = await RunAsync("chown", ["postgres:postgres", _dir]);
            if (code != 0)
            {
                throw new InvalidOperationException($"Running as root, the cluster must belong to the 'postgres' user, but chown failed: {output}");
            }
        }

        var (initCode, initOutput) = await RunAsServerUserAsync(Path.Combine(_binDir, "initdb"), ["-D", DataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
        if (initCode != 0)
        {
            throw new InvalidOperationException($"initdb failed ({initCode}): {initOutput}");
        }

        _port = FreePort();
        await StartServerAsync();
        AdminConnectionString = $"Host=127.0.0.1;Port={_port};Username=postgres;Database=postgres;Timeout=10";
    }

    private string DataDir => Path.Combine(_dir!, "data");

    private async Task StartServerAsync()
    {
        var options = $"-p {_port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300";
        var (code, output) = await PgCtlAsync("start", "-w", "-t", "60", "-o", options, "-l", Path.Combine(_dir!, "log"));
        if (code != 0)
        {
            var log = File.Exists(Path.Combine(_dir!, "log")) ? await File.ReadAllTextAsync(Path.Combine(_dir!, "log")) : "";
            throw new InvalidOperationException($"pg_ctl start failed ({code}): {output}\n{log}");
        }
    }

    private Task<(int Code, string Output)> PgCtlAsync(params string[] args) =>
        RunAsServerUserAsync(Path.Combine(_binDir!, "pg_ctl"), ["-D", DataDir, .. args]);

    private Task<(int Code, string Output)> RunAsServerUserAsync(string file, string[] args) =>
        _asPostgresUser ? RunAsync("runuser", ["-u", "postgres", "--", file, .. args]) : RunAsync(file, args);

    private static async Task<(int Code, string Output)> RunAsync(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, (await stdout) + (await stderr));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task<string> CreateDatabaseCoreAsync(string name)
    {
        var database = Sanitize((IsOwned ? "t_" : $"webhooks_test_{_runId}_") + name);
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database }.ConnectionString;
    }

    private async Task DropExternalDatabasesAsync()
    {
        foreach (var entry in _databases.Values.Where(l => l.IsValueCreated && l.Value.IsCompletedSuccessfully))
        {
            var database = new NpgsqlConnectionStringBuilder(entry.Value.Result).Database;
            await using var connection = new NpgsqlConnection(AdminConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    private static string Sanitize(string name)
    {
        var sb = new StringBuilder();
        foreach (var c in name.ToLowerInvariant())
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }

        return sb.Length > 60 ? sb.ToString(0, 60) : sb.ToString();
    }
}
