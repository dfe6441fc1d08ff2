using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Webhooks.Benchmarks.Harness;

/// <summary>
/// A throwaway PostgreSQL cluster for the postgres, publish and latency scenarios (the approach of
/// tests/Webhooks.PostgreSql.Tests/Infrastructure/PostgresCluster.cs): initdb + pg_ctl from
/// /usr/lib/postgresql/*/bin on a free loopback port, as the 'postgres' user when run as root, with the
/// DEFAULT durability settings (fsync, synchronous_commit and full_page_writes on: what an app gets)
/// and pg_stat_statements loaded. Stopped and deleted on dispose.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "webhooks-bench-pg-" + Guid.NewGuid().ToString("N")[..8]);
    private string _bin = "";
    private bool _asPostgres;
    private int _databases;

    public string AdminConnectionString { get; private set; } = "";

    public static async Task<PostgresServer> StartAsync()
    {
        var server = new PostgresServer();
        await server.StartCoreAsync();
        return server;
    }

    private async Task StartCoreAsync()
    {
        _bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")).FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb"))) ?? ""
            : "";
        if (_bin.Length == 0)
        {
            throw new InvalidOperationException("PostgreSQL server binaries were not found in /usr/lib/postgresql/*/bin (Debian/Ubuntu: apt-get install postgresql).");
        }

        _asPostgres = Environment.UserName == "root";
        Directory.CreateDirectory(_dir);
        if (_asPostgres)
        {
            await RunAsync("chown", ["postgres:postgres", _dir]);
        }

        await RunAsServerAsync(Path.Combine(_bin, "initdb"), ["-D", Path.Combine(_dir, "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8"]);
        int port = FreePort();
        var options = $"-p {port} -k {_dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all -c pg_stat_statements.track_planning=on";
        await RunAsServerAsync(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_dir, "data"), "start", "-w", "-t", "60", "-o", options, "-l", Path.Combine(_dir, "log")]);
        AdminConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Timeout=30";
    }

    /// <summary>A fresh database (with pg_stat_statements) and its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "bench_" + Interlocked.Increment(ref _databases);
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        var cs = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
        await using (var connection = new NpgsqlConnection(cs))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", connection);
            await command.ExecuteNonQueryAsync();
        }

        return cs;
    }

    /// <summary>Drops a database used by a round (its pools first).</summary>
    public async Task DropDatabaseAsync(string connectionString)
    {
        NpgsqlConnection.ClearAllPools();
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs SQL on a database (an experiment's schema change, <c>--pg-alter</c>).</summary>
    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task ResetStatementsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_stat_statements_reset()", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The statements of this database by total execution time: calls, mean ms, rows, WAL bytes, planning ms per call.</summary>
    public static async Task<List<(string Query, long Calls, double TotalMs, double MeanMs, long Rows, long WalBytes, double MeanPlanMs)>> TopStatementsAsync(string connectionString, int top)
    {
        var list = new List<(string, long, double, double, long, long, double)>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT regexp_replace(query, '\s+', ' ', 'g'), calls, total_exec_time, mean_exec_time, rows, wal_bytes::bigint, total_plan_time / greatest(calls, 1)
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = current_database() AND query NOT ILIKE '%pg_stat_statements%'
            ORDER BY total_exec_time DESC LIMIT @top
            """, connection);
        command.Parameters.AddWithValue("top", top);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var q = reader.GetString(0);
            list.Add((q.Length > 160 ? q[..160] + "…" : q, reader.GetInt64(1), reader.GetDouble(2), reader.GetDouble(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetDouble(6)));
        }

        return list;
    }

    /// <summary>
    /// CPU time the whole cluster has used so far (Linux /proc, clock ticks): the postmaster and its
    /// exited children (backends that ended, counted when reaped) plus every child still running.
    /// Subtract two readings to get what a round cost the database server; zero where /proc is missing.
    /// </summary>
    public TimeSpan CpuTime()
    {
        try
        {
            int postmaster = int.Parse(File.ReadLines(Path.Combine(_dir, "data", "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
            long ticks = Ticks(postmaster, withChildren: true);
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(dir), out int pid) && pid != postmaster && ParentOf(pid) == postmaster)
                {
                    ticks += Ticks(pid, withChildren: false);
                }
            }

            return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ is 100 on Linux
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            return TimeSpan.Zero;
        }

        // /proc/<pid>/stat: fields after the ")" that ends the command name; ppid is field 4, utime..cstime 14-17.
        static string[] Fields(int pid)
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            return text[(text.LastIndexOf(')') + 2)..].Split(' ');
        }

        static int ParentOf(int pid)
        {
            try
            {
                return int.Parse(Fields(pid)[1], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                return -1; // gone meanwhile
            }
        }

        static long Ticks(int pid, bool withChildren)
        {
            try
            {
                var f = Fields(pid);
                long t = long.Parse(f[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(f[12], System.Globalization.CultureInfo.InvariantCulture);
                return withChildren ? t + long.Parse(f[13], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(f[14], System.Globalization.CultureInfo.InvariantCulture) : t;
            }
            catch (IOException)
            {
                return 0;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await RunAsServerAsync(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_dir, "data"), "stop", "-m", "immediate", "-w"]);
        }
        finally
        {
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private Task RunAsServerAsync(string file, string[] args) =>
        _asPostgres ? RunAsync("runuser", ["-u", "postgres", "--", file, .. args]) : RunAsync(file, args);

    private static async Task RunAsync(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetTempPath() };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} failed ({process.ExitCode}): {await stdout}{await stderr}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
