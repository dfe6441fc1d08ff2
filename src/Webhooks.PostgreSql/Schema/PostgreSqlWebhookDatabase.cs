using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Webhooks.Abstractions;

namespace Webhooks.PostgreSql.Schema;

/// <summary>
/// The data source and schema the stores share, and the migrator. The schema is brought up to date
/// once per process, before the first query of any store: in a transaction holding an advisory lock
/// keyed on the schema name, so instances starting together apply each migration exactly once.
/// </summary>
internal sealed partial class PostgreSqlWebhookDatabase : IAsyncDisposable
{
    // "WEBH": the first key of the migration advisory lock; the second is the schema name's hash.
    private const int LockKey = 0x57454248;

    private readonly bool _ownsDataSource;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private Task? _ready;

    public PostgreSqlWebhookDatabase(NpgsqlDataSource dataSource, bool ownsDataSource, IOptions<PostgreSqlWebhookOptions> options, ILogger<PostgreSqlWebhookDatabase> logger)
    {
        DataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _logger = logger;
        SchemaName = options.Value.Schema;
        Schema = QuoteIdentifier(SchemaName);
        Channel = SchemaName + "_deliveries";
    }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>The schema name as configured.</summary>
    public string SchemaName { get; }

    /// <summary>The schema name quoted for SQL.</summary>
    public string Schema { get; }

    /// <summary>The <c>LISTEN</c>/<c>NOTIFY</c> channel that announces new due deliveries.</summary>
    public string Channel { get; }

    /// <summary>
    /// The store's one clock: due times and lease expiry are judged on the database's clock, never an
    /// instance's. The statement's start, so one statement sees one instant (and the due index stays usable).
    /// </summary>
    public const string Clock = "statement_timestamp()";

    /// <summary>Replaces <c>{s}</c> with the quoted schema name and <c>{now}</c> with <see cref="Clock"/>.</summary>
    public string Sql(string sql) => sql.Replace("{s}", Schema, StringComparison.Ordinal).Replace("{now}", Clock, StringComparison.Ordinal);

    /// <summary>Completes once the schema is at the latest version; a failed attempt is retried on the next call.</summary>
    /// <param name="cancellationToken">Stops waiting (a migration already running goes on).</param>
    /// <param name="appTransaction">
    /// The app's transaction when the caller runs inside one: the version is read on its connection,
    /// so a publish in a process whose schema was not yet checked still holds one connection
    /// (a migration, when one is due, runs on a connection of its own and commits on its own).
    /// </param>
    public Task EnsureSchemaAsync(CancellationToken cancellationToken, NpgsqlTransaction? appTransaction = null)
    {
        var ready = Volatile.Read(ref _ready);
        if (ready is { IsCompletedSuccessfully: true })
        {
            return Task.CompletedTask;
        }

        lock (_gate)
        {
            if (_ready is null || _ready.IsFaulted || _ready.IsCanceled)
            {
                _ready = MigrateAsync(appTransaction);
            }

            ready = _ready;
        }

        return ready.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
        {
            await DataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Wraps a store failure the app can fix (missing rights, wrong database) in a message that says what to do.</summary>
    internal WebhookException Explain(PostgresException ex, string doing) => ex.SqlState switch
    {
        PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName =>
            new WebhookException($"The webhook tables of schema '{SchemaName}' are missing while {doing}. They are created at start-up; a transaction passed to PublishAsync must belong to the same database as the webhooks' connection string.", ex),
        PostgresErrorCodes.InsufficientPrivilege =>
            new WebhookException($"The database user may not use schema '{SchemaName}' while {doing}: grant it USAGE on the schema, SELECT, INSERT, UPDATE, DELETE on its tables, USAGE on its sequences and EXECUTE on its functions (and CREATE on the database for the first start-up).", ex),
        _ => new WebhookException($"PostgreSQL failed while {doing}: {ex.MessageText} (SQLSTATE {ex.SqlState}).", ex),
    };

    private async Task MigrateAsync(NpgsqlTransaction? appTransaction)
    {
        try
        {
            if (appTransaction?.Connection is { } appConnection
                && await CurrentVersionAsync(appConnection, appTransaction).ConfigureAwait(false) >= PostgreSqlMigrations.Latest)
            {
                return;
            }

            await using var connection = await DataSource.OpenConnectionAsync().ConfigureAwait(false);
            if (await CurrentVersionAsync(connection, null).ConfigureAwait(false) >= PostgreSqlMigrations.Latest)
            {
                return;
            }

            await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@k, hashtext(@schema))", connection, transaction))
            {
                lockCommand.Parameters.AddWithValue("k", LockKey);
                lockCommand.Parameters.AddWithValue("schema", SchemaName);
                await lockCommand.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            await ExecuteAsync(connection, transaction, Sql("""
                CREATE SCHEMA IF NOT EXISTS {s};
                CREATE TABLE IF NOT EXISTS {s}.migrations (
                    version integer PRIMARY KEY,
                    description text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                );
                """)).ConfigureAwait(false);

            // Read again under the lock: another instance may have migrated meanwhile.
            int current = await CurrentVersionAsync(connection, transaction).ConfigureAwait(false);
            foreach (var (version, description, sql) in PostgreSqlMigrations.All)
            {
                if (version <= current)
                {
                    continue;
                }

                await ExecuteAsync(connection, transaction, Sql(sql)).ConfigureAwait(false);
                await using var record = new NpgsqlCommand(Sql("INSERT INTO {s}.migrations (version, description) VALUES (@v, @d)"), connection, transaction);
                record.Parameters.AddWithValue("v", version);
                record.Parameters.AddWithValue("d", description);
                await record.ExecuteNonQueryAsync().ConfigureAwait(false);
                LogMigrated(_logger, SchemaName, version, description);
            }

            await transaction.CommitAsync().ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            throw Explain(ex, "creating or migrating the webhook schema");
        }
    }

    private async Task<int> CurrentVersionAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        await using var command = new NpgsqlCommand(
            "SELECT CASE WHEN to_regclass(@table) IS NULL THEN 0 ELSE -1 END",
            connection,
            transaction);
        command.Parameters.AddWithValue("table", Schema + ".migrations");
        if ((int)(await command.ExecuteScalarAsync().ConfigureAwait(false))! == 0)
        {
            return 0;
        }

        await using var max = new NpgsqlCommand(Sql("SELECT coalesce(max(version), 0) FROM {s}.migrations"), connection, transaction);
        return (int)(await max.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    [LoggerMessage(1, LogLevel.Information, "Webhook schema '{Schema}' migrated to version {Version}: {Description}.")]
    private static partial void LogMigrated(ILogger logger, string schema, int version, string description);
}
