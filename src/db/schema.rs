// @generated from migrations/*/2026-11-22-000001_initial/up.sql; keep both in step.
//! The database schema, in portable types that both SQLite and PostgreSQL map.

diesel::table! {
    organisations (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        display_name -> Text,
        role -> Text,
        organisation_id -> BigInt,
        password_hash -> Text,
        active -> Bool,
        failed_logins -> Integer,
        locked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        totp_secret -> Nullable<Text>,
        totp_enabled_at -> Nullable<Timestamp>,
        totp_last_step -> Nullable<BigInt>,
        must_change_password -> Bool,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        label -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_sessions (id) {
        id -> BigInt,
        id_hash -> Text,
        user_id -> BigInt,
        csrf_token -> Text,
        flash -> Nullable<Text>,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        stage -> Text,
        second_factor_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> BigInt,
        account_key -> Text,
        client_addr -> Text,
        succeeded -> Bool,
        attempted_at -> Timestamp,
    }
}

diesel::table! {
    funding_streams (id) {
        id -> BigInt,
        name -> Text,
        funder -> Text,
        financial_year -> Text,
        amount_pence -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    programmes (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        name -> Text,
        kind -> Text,
        delivery -> Text,
        min_age -> Nullable<Integer>,
        max_age -> Nullable<Integer>,
        starts_on -> Date,
        ends_on -> Nullable<Date>,
        description -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// Data protection (2026-12-09-000001_data_protection_a).
        lawful_basis -> Text,
        offence_data_condition -> Text,
        police_linkage -> Bool,
    }
}

diesel::table! {
    allocations (id) {
        id -> BigInt,
        funding_stream_id -> BigInt,
        programme_id -> BigInt,
        amount_pence -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    targets (id) {
        id -> BigInt,
        programme_id -> BigInt,
        financial_year -> Text,
        metric -> Text,
        value -> Double,
        created_at -> Timestamp,
    }
}

diesel::table! {
    participants (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        reference -> Text,
        person_key -> Nullable<Text>,
        date_of_birth -> Nullable<Date>,
        gender -> Text,
        ethnicity -> Text,
        district -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        voided_at -> Nullable<Timestamp>,
        merged_into -> Nullable<BigInt>,
    }
}

diesel::table! {
    referrals (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        reference -> Text,
        participant_id -> BigInt,
        programme_id -> BigInt,
        referred_on -> Date,
        source -> Text,
        reason -> Text,
        decision -> Text,
        decided_on -> Nullable<Date>,
        closure -> Text,
        closed_on -> Nullable<Date>,
        required_hours -> Nullable<Double>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        voided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        reference -> Nullable<Text>,
        programme_id -> BigInt,
        date -> Date,
        kind -> Text,
        duration_minutes -> Nullable<Integer>,
        headcount -> Integer,
        district -> Nullable<Text>,
        venue -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        voided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    attendance (id) {
        id -> BigInt,
        session_id -> BigInt,
        referral_id -> BigInt,
        programme_id -> BigInt,
        status -> Text,
        hours -> Nullable<Double>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// The session's date, kept equal to it by a foreign key (ON UPDATE CASCADE).
        session_date -> Date,
    }
}

diesel::table! {
    /// The people a session is for (one-to-one sessions' registers list only these).
    session_participants (id) {
        id -> BigInt,
        session_id -> BigInt,
        referral_id -> BigInt,
        programme_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outcome_measures (id) {
        id -> BigInt,
        name -> Text,
        min_value -> Double,
        max_value -> Double,
        higher_is_better -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outcome_records (id) {
        id -> BigInt,
        referral_id -> BigInt,
        measure_id -> BigInt,
        timepoint -> Text,
        recorded_on -> Date,
        value -> Double,
        created_at -> Timestamp,
        voided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    group_surveys (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        programme_id -> BigInt,
        session_id -> Nullable<BigInt>,
        measure_id -> BigInt,
        timepoint -> Text,
        recorded_on -> Date,
        respondents -> Integer,
        created_at -> Timestamp,
        voided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    group_survey_counts (id) {
        id -> BigInt,
        group_survey_id -> BigInt,
        scale_value -> Integer,
        respondents -> Integer,
    }
}

diesel::table! {
    import_batches (id) {
        id -> BigInt,
        organisation_id -> Nullable<BigInt>,
        kind -> Text,
        file_name -> Text,
        sha256 -> Text,
        rows_total -> BigInt,
        rows_inserted -> BigInt,
        rows_updated -> BigInt,
        rows_unchanged -> BigInt,
        extract_date -> Nullable<Date>,
        superseded_at -> Nullable<Timestamp>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        restorable -> Bool,
        reverted_at -> Nullable<Timestamp>,
        reverted_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// What an import batch did to each record (2026-12-09-000003_upload_preview).
    import_changes (id) {
        id -> BigInt,
        import_batch_id -> BigInt,
        entity -> Text,
        record_id -> BigInt,
        old_fields -> Nullable<Text>,
        new_fields -> Nullable<Text>,
    }
}

diesel::table! {
    /// Uploads refused for errors, with their error report.
    failed_uploads (id) {
        id -> BigInt,
        organisation_id -> Nullable<BigInt>,
        kind -> Text,
        file_name -> Text,
        error_count -> BigInt,
        errors -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Files previewed on the upload page, held until confirmed or expired.
    pending_uploads (id) {
        id -> BigInt,
        id_hash -> Text,
        login_session_id -> BigInt,
        kind -> Text,
        file_name -> Text,
        organisation_id -> Nullable<BigInt>,
        content -> Binary,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    offence_records (id) {
        id -> BigInt,
        import_batch_id -> BigInt,
        person_key -> Text,
        offence_date -> Date,
        offence_group -> Text,
        proven_on -> Nullable<Date>,
        birth_month -> Nullable<Date>,
        gender -> Nullable<Text>,
    }
}

diesel::table! {
    comparison_groups (id) {
        id -> BigInt,
        name -> Text,
        description -> Text,
        import_batch_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    comparison_members (id) {
        id -> BigInt,
        comparison_group_id -> BigInt,
        person_key -> Text,
        index_date -> Date,
    }
}

diesel::table! {
    quarterly_returns (id) {
        id -> BigInt,
        programme_id -> BigInt,
        quarter -> Text,
        status -> Text,
        comment -> Text,
        submitted_by -> Nullable<BigInt>,
        submitted_at -> Nullable<Timestamp>,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
        narrative -> Text,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        user_id -> Nullable<BigInt>,
        organisation_id -> Nullable<BigInt>,
        action -> Text,
        entity -> Text,
        entity_id -> Nullable<Text>,
        changed_fields -> Text,
        detail -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    /// The objection to linkage of `referrals` (the person objected to linking their
    /// police identifier to police data), apart from its record columns (diesel's tables
    /// stop at 16 columns).
    #[sql_name = "referrals"]
    referral_linkage (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        programme_id -> BigInt,
        linkage_objection -> Bool,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// The organisation-specific parts of the privacy notice (and any later settings).
    service_settings (name) {
        name -> Text,
        value -> Text,
        updated_at -> Timestamp,
        updated_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Who looked at which participant: hash-chained like `audit_events`.
    access_log (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        user_id -> Nullable<BigInt>,
        organisation_id -> Nullable<BigInt>,
        role -> Text,
        subject -> Text,
        page -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    /// The void mark of `participants` (who, when, why), apart from its record columns.
    #[sql_name = "participants"]
    participant_voids (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        voided_at -> Nullable<Timestamp>,
        voided_by -> Nullable<BigInt>,
        voided_reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// The void mark of `referrals` (who, when, why), apart from its record columns.
    #[sql_name = "referrals"]
    referral_voids (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        voided_at -> Nullable<Timestamp>,
        voided_by -> Nullable<BigInt>,
        voided_reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// The void mark of `sessions` (who, when, why), apart from its record columns.
    #[sql_name = "sessions"]
    session_voids (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        voided_at -> Nullable<Timestamp>,
        voided_by -> Nullable<BigInt>,
        voided_reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// The void mark of `outcome_records` (who, when, why), apart from its record columns.
    #[sql_name = "outcome_records"]
    outcome_record_voids (id) {
        id -> BigInt,
        voided_at -> Nullable<Timestamp>,
        voided_by -> Nullable<BigInt>,
        voided_reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// The void mark of `group_surveys` (who, when, why), apart from its record columns.
    #[sql_name = "group_surveys"]
    group_survey_voids (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        voided_at -> Nullable<Timestamp>,
        voided_by -> Nullable<BigInt>,
        voided_reason -> Nullable<Text>,
    }
}

// Erasure, retention, evaluation holds and the report archive
// (migrations/*/2026-12-09-000002_data_protection_b; docs/erasure-and-retention.md).

diesel::table! {
    /// A programme's retention period in months (no row: the default, 72 months).
    retention_periods (id) {
        id -> BigInt,
        programme_id -> BigInt,
        months -> Integer,
        updated_by -> Nullable<BigInt>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// An evaluation hold on a programme, to `ends_on` inclusive.
    evaluation_holds (id) {
        id -> BigInt,
        programme_id -> BigInt,
        ends_on -> Date,
        reason -> Text,
        set_by -> Nullable<BigInt>,
        set_at -> Timestamp,
    }
}

diesel::table! {
    /// What remains of an erased participant: no id, reference or key of theirs.
    erasures (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        erased_at -> Timestamp,
        reason -> Text,
        erased_by -> Nullable<BigInt>,
        via -> Text,
        override_reason -> Nullable<Text>,
        counts -> Text,
    }
}

diesel::table! {
    /// Every published or downloaded report, with its figures, parameters and input hash.
    report_archive (id) {
        id -> BigInt,
        archived_at -> Timestamp,
        scope -> Text,
        scope_name -> Text,
        programme_ids -> Text,
        period_from -> Date,
        period_to -> Date,
        mode -> Text,
        audience -> Text,
        format -> Text,
        via -> Text,
        user_id -> Nullable<BigInt>,
        parameters -> Text,
        input_sha256 -> Text,
        figures -> Text,
        figures_sha256 -> Text,
    }
}

diesel::table! {
    /// A programme's outcome framework: the measures it records, in form order.
    programme_measures (programme_id, measure_id) {
        programme_id -> BigInt,
        measure_id -> BigInt,
        position -> Integer,
    }
}

diesel::joinable!(users -> organisations (organisation_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(login_sessions -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(programmes -> organisations (organisation_id));
diesel::joinable!(allocations -> funding_streams (funding_stream_id));
diesel::joinable!(allocations -> programmes (programme_id));
diesel::joinable!(targets -> programmes (programme_id));
diesel::joinable!(participants -> organisations (organisation_id));
diesel::joinable!(referrals -> organisations (organisation_id));
diesel::joinable!(referrals -> participants (participant_id));
diesel::joinable!(referrals -> programmes (programme_id));
diesel::joinable!(sessions -> organisations (organisation_id));
diesel::joinable!(sessions -> programmes (programme_id));
diesel::joinable!(outcome_records -> referrals (referral_id));
diesel::joinable!(outcome_records -> outcome_measures (measure_id));
diesel::joinable!(group_surveys -> organisations (organisation_id));
diesel::joinable!(group_surveys -> programmes (programme_id));
diesel::joinable!(group_surveys -> sessions (session_id));
diesel::joinable!(group_surveys -> outcome_measures (measure_id));
diesel::joinable!(group_survey_counts -> group_surveys (group_survey_id));
diesel::joinable!(import_batches -> organisations (organisation_id));
diesel::joinable!(import_batches -> users (created_by));
diesel::joinable!(offence_records -> import_batches (import_batch_id));
diesel::joinable!(comparison_groups -> import_batches (import_batch_id));
diesel::joinable!(comparison_members -> comparison_groups (comparison_group_id));
diesel::joinable!(quarterly_returns -> programmes (programme_id));
diesel::joinable!(programme_measures -> programmes (programme_id));
diesel::joinable!(programme_measures -> outcome_measures (measure_id));
diesel::joinable!(attendance -> sessions (session_id));
diesel::joinable!(attendance -> referrals (referral_id));

diesel::allow_tables_to_appear_in_same_query!(
    organisations,
    users,
    api_tokens,
    login_sessions,
    recovery_codes,
    login_attempts,
    funding_streams,
    programmes,
    allocations,
    targets,
    participants,
    referrals,
    sessions,
    attendance,
    session_participants,
    outcome_measures,
    programme_measures,
    outcome_records,
    group_surveys,
    group_survey_counts,
    import_batches,
    import_changes,
    failed_uploads,
    pending_uploads,
    offence_records,
    comparison_groups,
    comparison_members,
    quarterly_returns,
    audit_events,
    service_settings,
    access_log,
);
