using Microsoft.Data.Sqlite;
using Webhooks.Abstractions;

namespace Webhooks.Sqlite.Schema;

/// <summary>
/// The one file both stores share. SQLite has a single writer, so writes queue here in-process
/// (rather than spin on SQLITE_BUSY) and run one at a time on one connection, each in a
/// <c>BEGIN IMMEDIATE</c> transaction; reads run beside them on pooled connections (WAL).
/// The schema is created or migrated by the first call.
/// </summary>
internal sealed class SqliteWebhookDatabase(string connectionString, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private SqliteConnection? _writer; // used only while holding the gate
    private volatile bool _migrated;

    /// <summary>Now on the store's clock, as stored (UTC ticks).</summary>
    public long Now => time.GetUtcNow().UtcTicks;

    public Task EnsureSchemaAsync(CancellationToken cancellationToken) => WriteAsync(_ => true, cancellationToken);

    public async Task<T> ReadAsync<T>(Func<SqliteConnection, T> read, CancellationToken cancellationToken)
    {
        if (!_migrated)
        {
            await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var snapshot = connection.BeginTransaction(deferred: true); // several reads see one state
        return read(connection);
    }

    public async Task<T> WriteAsync<T>(Func<SqliteConnection, T> write, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = _writer ??= OpenWriter();
            using var transaction = connection.BeginTransaction(deferred: false);
            var result = write(connection);
            transaction.Commit();
            return result;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public void Dispose()
    {
        _writer?.Dispose();
        using var connection = new SqliteConnection(connectionString);
        SqliteConnection.ClearPool(connection); // let go of the file
    }

    private SqliteConnection OpenWriter()
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            connection.Execute("PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;"); // WAL is kept in the file
            Migrate(connection);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void Migrate(SqliteConnection connection)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        connection.Execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);");
        using var read = connection.Command("SELECT ifnull(max(version), 0) FROM schema_version;");
        var applied = Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        var steps = SqliteMigrations.Steps;
        if (applied > steps.Length)
        {
            throw new WebhookException($"The webhooks database '{connection.DataSource}' has schema version {applied}, newer than this Webhooks.Sqlite knows ({steps.Length}); upgrade the package.");
        }

        for (int version = applied + 1; version <= steps.Length; version++)
        {
            connection.Execute(steps[version - 1]);
            connection.Execute("INSERT INTO schema_version (version, applied_at) VALUES ($version, $now);", ("$version", version), ("$now", Now));
        }

        transaction.Commit();
        _migrated = true;
    }
}
