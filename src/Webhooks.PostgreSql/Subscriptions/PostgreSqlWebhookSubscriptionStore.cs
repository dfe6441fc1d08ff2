using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;
using NpgsqlTypes;
using Webhooks.Abstractions;
using Webhooks.Abstractions.Delivery;
using Webhooks.Abstractions.Subscriptions;
using Webhooks.PostgreSql.Schema;

namespace Webhooks.PostgreSql.Subscriptions;

/// <summary>
/// Subscriptions in PostgreSQL. Name uniqueness per owner is a unique index; optimistic concurrency
/// is a conditional <c>UPDATE … WHERE version = @expected</c>. Each listed event is also stored as
/// a <c>pattern|owner</c> key in a GIN-indexed array, so the publisher's lookup is one index probe
/// with the event's patterns, however many subscriptions exist. Secrets and auth values arrive
/// protected by the engine and are kept as given.
/// </summary>
internal sealed class PostgreSqlWebhookSubscriptionStore(PostgreSqlWebhookDatabase db) : IWebhookSubscriptionStore
{
    private const string Columns = "id, owner, name, url, events, description, secrets, signature_scheme, auth, headers, metadata, active, disabled_reason, created_at, updated_at, version, filter, failing_since, payload_filter, rate_limit, ordered";

    private readonly string _insert = db.Sql($"""
        INSERT INTO {"{s}"}.subscriptions (id, owner, name, url, events, event_keys, description, secrets, signature_scheme, auth, headers, metadata, active, disabled_reason, created_at, updated_at, version, filter, failing_since, payload_filter, rate_limit, ordered)
        VALUES (@id, @owner, @name, @url, @events, {EventKeysOf("@owner::text")}, @description, @secrets, @signature_scheme, @auth, @headers, @metadata, @active, @disabled_reason, @created_at, @updated_at, 1, @filter, @failing_since, @payload_filter, @rate_limit, @ordered)
        RETURNING {Columns}
        """);

    private readonly string _get = db.Sql($"SELECT {Columns} FROM {"{s}"}.subscriptions WHERE id = @id");

    private readonly string _find = db.Sql($"SELECT {Columns} FROM {"{s}"}.subscriptions WHERE event_keys && @keys AND active AND owner IS NOT DISTINCT FROM @owner");

    private readonly string _update = db.Sql($"""
        UPDATE {"{s}"}.subscriptions
        SET name = @name, url = @url, events = @events, event_keys = {EventKeysOf("owner")}, description = @description, secrets = @secrets,
            signature_scheme = @signature_scheme, auth = @auth, headers = @headers, metadata = @metadata, active = @active,
            disabled_reason = @disabled_reason, updated_at = @updated_at, version = version + 1, filter = @filter, failing_since = @failing_since,
            payload_filter = @payload_filter, rate_limit = @rate_limit, ordered = @ordered
        WHERE id = @id AND version = @version
        RETURNING {Columns}
        """);

    private readonly string _version = db.Sql("SELECT version FROM {s}.subscriptions WHERE id = @id");

    // The subscription's send-slot row (rate limits) goes with it: nothing else would ever remove it.
    private readonly string _delete = db.Sql("""
        WITH d AS (DELETE FROM {s}.subscriptions WHERE id = @id RETURNING id),
             r AS (DELETE FROM {s}.rate_limits WHERE subscription_id IN (SELECT id FROM d))
        SELECT count(*) FROM d
        """);

    // Compare and delete in one statement: a concurrent update that commits first changes the version, and this deletes nothing.
    private readonly string _deleteVersion = db.Sql("""
        WITH d AS (DELETE FROM {s}.subscriptions WHERE id = @id AND version = @version RETURNING id),
             r AS (DELETE FROM {s}.rate_limits WHERE subscription_id IN (SELECT id FROM d))
        SELECT count(*) FROM d
        """);

    public async Task<WebhookSubscription> CreateAsync(WebhookSubscription subscription, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var command = db.DataSource.CreateCommand(_insert);
        AddWriteParameters(command, subscription);
        command.Parameters.AddWithValue("owner", NpgsqlDbType.Text, (object?)subscription.Owner ?? DBNull.Value);
        command.Parameters.AddWithValue("created_at", subscription.CreatedAt.ToUniversalTime());
        try
        {
            return (await ReadAsync(command, cancellationToken).ConfigureAwait(false))[0];
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw Conflict(ex, subscription);
        }
    }

    public async Task<WebhookSubscription?> GetAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var command = db.DataSource.CreateCommand(_get);
        command.Parameters.AddWithValue("id", id);
        var found = await ReadAsync(command, cancellationToken).ConfigureAwait(false);
        return found.Count == 0 ? null : found[0];
    }

    public async Task<WebhookPage<WebhookSubscription>> ListAsync(WebhookSubscriptionQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var limit = Math.Clamp(query.Limit, 1, WebhookPaging.MaxLimit);

        // Filters are added only when given, so each shape gets a plan that uses (owner_key, id).
        var sql = new StringBuilder(db.Sql($"SELECT {Columns} FROM {"{s}"}.subscriptions WHERE owner_key = @owner_key AND owner IS NOT DISTINCT FROM @owner"));
        await using var command = db.DataSource.CreateCommand();
        command.Parameters.AddWithValue("owner_key", query.Owner ?? "");
        command.Parameters.AddWithValue("owner", NpgsqlDbType.Text, (object?)query.Owner ?? DBNull.Value);
        if (query.Cursor is not null)
        {
            sql.Append(" AND id > @cursor");
            command.Parameters.AddWithValue("cursor", query.Cursor);
        }

        if (query.Active is { } active)
        {
            sql.Append(" AND active = @active");
            command.Parameters.AddWithValue("active", active);
        }

        if (query.Event is not null)
        {
            sql.Append(" AND events @> ARRAY[@event]");
            command.Parameters.AddWithValue("event", NpgsqlDbType.Text, query.Event);
        }

        sql.Append(" ORDER BY id LIMIT @limit");
        command.Parameters.AddWithValue("limit", limit + 1);
        command.CommandText = sql.ToString();
        var items = await ReadAsync(command, cancellationToken).ConfigureAwait(false);
        return WebhookPaging.FromOverfetch(items, limit, static s => s.Id);
    }

    public async Task<IReadOnlyList<WebhookSubscription>> FindForEventAsync(string? owner, IReadOnlyList<string> patterns, WebhookEnqueueContext? context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(patterns);

        // Inside the app's transaction, read on its connection: a publish then holds one connection, not two.
        var transaction = PostgreSqlEnqueueContext.TransactionOf(context);
        await db.EnsureSchemaAsync(cancellationToken, transaction).ConfigureAwait(false);
        var keys = new string[patterns.Count];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = EventKey(patterns[i], owner);
        }

        await using var command = transaction is null
            ? db.DataSource.CreateCommand(_find)
            : PostgreSqlEnqueueContext.CommandOn(transaction, _find);
        command.Parameters.AddWithValue("keys", keys);
        command.Parameters.AddWithValue("owner", NpgsqlDbType.Text, (object?)owner ?? DBNull.Value);
        return await ReadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<WebhookSubscription?> UpdateAsync(WebhookSubscription subscription, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var command = db.DataSource.CreateCommand(_update);
        AddWriteParameters(command, subscription);
        command.Parameters.AddWithValue("version", subscription.Version);

        List<WebhookSubscription> updated;
        try
        {
            updated = await ReadAsync(command, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw Conflict(ex, subscription);
        }

        if (updated.Count == 1)
        {
            return updated[0];
        }

        await using var version = db.DataSource.CreateCommand(_version);
        version.Parameters.AddWithValue("id", subscription.Id);
        return await ExecuteScalarAsync(version, cancellationToken).ConfigureAwait(false) is long actual
            ? throw new WebhookConcurrencyException(subscription.Id, subscription.Version, actual)
            : null;
    }

    public async Task<bool> DeleteAsync(string id, long? expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        await db.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var command = db.DataSource.CreateCommand(expectedVersion is null ? _delete : _deleteVersion);
        command.Parameters.AddWithValue("id", id);
        if (expectedVersion is { } expected)
        {
            command.Parameters.AddWithValue("version", expected);
        }

        if (await ExecuteScalarAsync(command, cancellationToken).ConfigureAwait(false) is long deleted && deleted > 0)
        {
            return true;
        }

        if (expectedVersion is null)
        {
            return false;
        }

        // Nothing deleted: say whether it is gone or was changed meanwhile.
        await using var version = db.DataSource.CreateCommand(_version);
        version.Parameters.AddWithValue("id", id);
        return await ExecuteScalarAsync(version, cancellationToken).ConfigureAwait(false) is long actual
            ? throw new WebhookConcurrencyException(id, expectedVersion.Value, actual)
            : false;
    }

    /// <summary>SQL that builds the event keys of <c>@events</c> for an owner expression; must agree with <see cref="EventKey"/>.</summary>
    private static string EventKeysOf(string owner) =>
        $"ARRAY(SELECT e || CASE WHEN {owner} IS NULL THEN '|' ELSE '|=' || {owner} END FROM unnest(@events::text[]) AS t(e))";

    /// <summary>The index key of one listed event: the pattern (never contains '|'), then the owner ('=' marks a non-null owner).</summary>
    internal static string EventKey(string pattern, string? owner) => owner is null ? pattern + "|" : pattern + "|=" + owner;

    // Secrets and auth values arrive protected by the engine's decorator and are stored as given.
    private static void AddWriteParameters(NpgsqlCommand command, WebhookSubscription s)
    {
        var p = command.Parameters;
        p.AddWithValue("id", s.Id);
        p.AddWithValue("name", s.Name);
        p.AddWithValue("url", s.Url);
        p.AddWithValue("events", s.Events.ToArray());
        p.AddWithValue("description", NpgsqlDbType.Text, (object?)s.Description ?? DBNull.Value);
        p.AddWithValue("secrets", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(
            s.Secrets.Select(x => new StoredSecret(x.Value, x.ExpiresAt)).ToList(),
            PostgreSqlJsonContext.Default.ListStoredSecret));
        p.AddWithValue("signature_scheme", NpgsqlDbType.Text, (object?)s.SignatureScheme ?? DBNull.Value);
        p.AddWithValue("auth", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(
            new StoredAuth(s.Auth.Kind, s.Auth.Username, s.Auth.Secret, s.Auth.HeaderName),
            PostgreSqlJsonContext.Default.StoredAuth));
        p.AddWithValue("headers", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(new Dictionary<string, string>(s.Headers), PostgreSqlJsonContext.Default.DictionaryStringString));
        p.AddWithValue("metadata", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(new Dictionary<string, string>(s.Metadata), PostgreSqlJsonContext.Default.DictionaryStringString));
        p.AddWithValue("active", s.Active);
        p.AddWithValue("disabled_reason", NpgsqlDbType.Text, (object?)s.DisabledReason ?? DBNull.Value);
        p.AddWithValue("updated_at", s.UpdatedAt.ToUniversalTime());
        p.AddWithValue("filter", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(
            s.Filter.ToDictionary(f => f.Key, f => f.Value.ToList(), StringComparer.Ordinal),
            PostgreSqlJsonContext.Default.DictionaryStringListString));
        p.AddWithValue("failing_since", NpgsqlDbType.TimestampTz, (object?)s.FailingSince?.ToUniversalTime() ?? DBNull.Value);

        // text, not jsonb: jsonb would reorder keys and respace the filter, and the contract keeps it as given.
        p.AddWithValue("payload_filter", NpgsqlDbType.Text, (object?)s.PayloadFilter ?? DBNull.Value);
        p.AddWithValue("rate_limit", NpgsqlDbType.Integer, (object?)s.RateLimit ?? DBNull.Value);
        p.AddWithValue("ordered", s.Ordered);
    }

    private async Task<List<WebhookSubscription>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var result = new List<WebhookSubscription>();
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                result.Add(Read(reader));
            }
        }
        catch (PostgresException ex) when (ex.SqlState != PostgresErrorCodes.UniqueViolation)
        {
            throw db.Explain(ex, "reading or writing subscriptions");
        }

        return result;
    }

    private async Task<int> ExecuteNonQueryAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        try
        {
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            throw db.Explain(ex, "deleting a subscription");
        }
    }

    private async Task<object?> ExecuteScalarAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        try
        {
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            throw db.Explain(ex, "reading a subscription's version");
        }
    }

    private static WebhookSubscription Read(NpgsqlDataReader r)
    {
        var filter = JsonSerializer.Deserialize(r.GetString(16), PostgreSqlJsonContext.Default.DictionaryStringListString)!;
        var secrets = JsonSerializer.Deserialize(r.GetString(6), PostgreSqlJsonContext.Default.ListStoredSecret)!;
        var auth = JsonSerializer.Deserialize(r.GetString(8), PostgreSqlJsonContext.Default.StoredAuth)!;
        var headers = JsonSerializer.Deserialize(r.GetString(9), PostgreSqlJsonContext.Default.DictionaryStringString)!;
        var metadata = JsonSerializer.Deserialize(r.GetString(10), PostgreSqlJsonContext.Default.DictionaryStringString)!;
        return new WebhookSubscription
        {
            Id = r.GetString(0),
            Owner = r.IsDBNull(1) ? null : r.GetString(1),
            Name = r.GetString(2),
            Url = r.GetString(3),
            Events = r.GetFieldValue<string[]>(4),
            Description = r.IsDBNull(5) ? null : r.GetString(5),
            Secrets = [.. secrets.Select(x => new WebhookSecret(x.Value, x.ExpiresAt))],
            SignatureScheme = r.IsDBNull(7) ? null : r.GetString(7),
            Auth = auth.Kind == WebhookAuthKind.None
                ? WebhookAuth.None
                : new WebhookAuth { Kind = auth.Kind, Username = auth.Username, Secret = auth.Secret, HeaderName = auth.HeaderName },
            Headers = new Dictionary<string, string>(headers, StringComparer.OrdinalIgnoreCase),
            Metadata = new Dictionary<string, string>(metadata, StringComparer.Ordinal),
            Active = r.GetBoolean(11),
            DisabledReason = r.IsDBNull(12) ? null : r.GetString(12),
            CreatedAt = r.GetFieldValue<DateTimeOffset>(13),
            UpdatedAt = r.GetFieldValue<DateTimeOffset>(14),
            Version = r.GetInt64(15),
            Filter = filter.ToDictionary(f => f.Key, f => (IReadOnlyList<string>)f.Value, StringComparer.Ordinal),
            FailingSince = r.IsDBNull(17) ? null : r.GetFieldValue<DateTimeOffset>(17),
            PayloadFilter = r.IsDBNull(18) ? null : r.GetString(18),
            RateLimit = r.IsDBNull(19) ? null : r.GetInt32(19),
            Ordered = r.GetBoolean(20),
        };
    }

    private static WebhookConflictException Conflict(PostgresException ex, WebhookSubscription s) =>
        ex.ConstraintName == "subscriptions_pkey"
            ? new WebhookConflictException($"A subscription with id '{s.Id}' already exists.")
            : new WebhookConflictException($"A subscription named '{s.Name}' already exists for this owner; choose another name.");
}

/// <summary>How a secret is kept in the <c>secrets</c> column.</summary>
internal sealed record StoredSecret(string Value, DateTimeOffset? ExpiresAt);

/// <summary>How the auth is kept in the <c>auth</c> column.</summary>
internal sealed record StoredAuth(WebhookAuthKind Kind, string? Username, string? Secret, string? HeaderName);

/// <summary>Source-generated JSON for the stored columns (trim- and AOT-safe).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(List<StoredSecret>))]
[JsonSerializable(typeof(StoredAuth))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, List<string>>))]
internal sealed partial class PostgreSqlJsonContext : JsonSerializerContext;
