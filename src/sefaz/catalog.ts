/**
 * The cStat codes NFeDistribuicaoDFe and NFeRecepcaoEvento answer with, their texts, and
 * what each one tells the client to do. Sources: PROTOCOL.md §2 (sped-nfe
 * storage/cstat.json for the MOC texts, captures and fixtures for the wire texts).
 *
 * `text` is the MOC table's wording, accents included. `wire` holds texts seen verbatim
 * on the wire: the national environment (AN) sends them without accents, and some
 * codes come with several wordings.
 */

/** What a cStat means for the client. */
export type CStatClass =
  /** 138: documents came back; store them, the cursor may move. */
  | 'documents'
  /** 137: nothing new; no distNSU for an hour. */
  | 'empty'
  /** 656: a usage rule was broken; no query of any kind for this CNPJ for an hour. */
  | 'consumo-indevido'
  /** 108, 109, 999: SEFAZ is unwell; retry later with backoff. */
  | 'transient'
  /** Certificate, CNPJ, environment or message problem: stop this CNPJ and tell the operator. */
  | 'fatal-config'
  /** The document asked for cannot be had (too old, cancelled, not yours): do not ask again. */
  | 'unavailable'
  /** 128: an event batch was processed; read each event's own cStat. */
  | 'event-batch'
  /** 135, 136: the event is registered. */
  | 'event-registered'
  /** 573: the same event was registered before: as good as registered. */
  | 'event-duplicate'
  /** The event was refused for this document; sending it again will not help. */
  | 'event-rejected'
  /** Not in this catalog. */
  | 'unknown';

export interface CStatInfo {
  cStat: string;
  class: CStatClass;
  text: string;
  wire: readonly string[];
}

/** 656 for a distNSU whose ultNSU is not the one SEFAZ returned last (rule 1). */
export const XMOTIVO_656_SEQUENCE =
  'Rejeicao: Consumo Indevido (Deve ser utilizado o ultNSU nas solicitacoes subsequentes. Tente apos 1 hora)';
/** 656 for a distNSU within the hour after 137 or ultNSU == maxNSU (rule 2). */
export const XMOTIVO_656_WAIT_HOUR =
  'Rejeicao: Consumo Indevido (Deve ser aguardado 1 hora para efetuar nova solicitacao caso nao existam mais documentos a serem pesquisados. Tente apos 1 hora)';
/**
 * 656 past 20 consNSU/consChNFe in an hour (rule 3). Its exact wire string was never
 * found: this is the quoted phrase "ultrapassou o limite de 20 consultas por hora" in
 * the AN's form of the two texts above.
 */
export const XMOTIVO_656_LIMIT_20 =
  'Rejeicao: Consumo Indevido (Ultrapassou o limite de 20 consultas por hora. Tente apos 1 hora)';

type Entry = [cStat: string, cls: CStatClass, text: string, wire?: readonly string[]];

const ENTRIES: readonly Entry[] = [
  ['108', 'transient', 'Serviço Paralisado Momentaneamente (curto prazo)'],
  ['109', 'transient', 'Serviço Paralisado sem Previsão'],
  ['128', 'event-batch', 'Lote de Evento Processado', ['Lote de evento processado']],
  ['135', 'event-registered', 'Evento registrado e vinculado a NF-e', ['Evento registrado e vinculado a NF-e']],
  ['136', 'event-registered', 'Evento registrado, mas não vinculado a NF-e'],
  ['137', 'empty', 'Nenhum documento localizado para o Destinatário', [
    'Nenhum documento localizado',
    'Nenhum documento localizado para o Contribuinte',
  ]],
  ['138', 'documents', 'Documento localizado para o Destinatário', [
    // distNSU batches / single-document queries (consNSU, consChNFe)
    'Documento(s) localizado(s)',
    'Documento localizado',
  ]],
  ['214', 'fatal-config', 'Rejeição: Tamanho da mensagem excedeu o limite estabelecido'],
  ['215', 'fatal-config', 'Rejeição: Falha no schema XML'],
  ['225', 'fatal-config', 'Rejeição: Falha no Schema XML do lote de NFe', ['Rejeicao: Falha no Esquema XML do lote de NF-e']],
  ['236', 'unavailable', 'Rejeição: Chave de Acesso com dígito verificador inválido'],
  ['243', 'fatal-config', 'Rejeição: XML Mal Formado'],
  ['252', 'fatal-config', 'Rejeição: Ambiente informado diverge do Ambiente de recebimento'],
  ['280', 'fatal-config', 'Rejeição: Certificado Transmissor inválido'],
  ['281', 'fatal-config', 'Rejeição: Certificado Transmissor Data Validade'],
  ['282', 'fatal-config', 'Rejeição: Certificado Transmissor sem CNPJ'],
  ['283', 'fatal-config', 'Rejeição: Certificado Transmissor - erro Cadeia de Certificação'],
  ['284', 'fatal-config', 'Rejeição: Certificado Transmissor revogado'],
  ['285', 'fatal-config', 'Rejeição: Certificado Transmissor difere ICP-Brasil'],
  ['286', 'fatal-config', 'Rejeição: Certificado Transmissor erro no acesso a LCR'],
  ['290', 'fatal-config', 'Rejeição: Certificado Assinatura inválido'],
  ['291', 'fatal-config', 'Rejeição: Certificado Assinatura Data Validade'],
  ['292', 'fatal-config', 'Rejeição: Certificado Assinatura sem CNPJ'],
  ['293', 'fatal-config', 'Rejeição: Certificado Assinatura - erro Cadeia de Certificação'],
  ['294', 'fatal-config', 'Rejeição: Certificado Assinatura revogado'],
  ['295', 'fatal-config', 'Rejeição: Certificado Assinatura difere ICP-Brasil'],
  ['296', 'fatal-config', 'Rejeição: Certificado Assinatura erro no acesso a LCR'],
  ['297', 'fatal-config', 'Rejeição: Assinatura difere do calculado'],
  ['298', 'fatal-config', 'Rejeição: Assinatura difere do padrão do Sistema'],
  ['402', 'fatal-config', 'Rejeição: XML da área de dados com codificação diferente de UTF-8'],
  ['404', 'fatal-config', 'Rejeição: Uso de prefixo de namespace não permitido'],
  ['489', 'fatal-config', 'Rejeição: CNPJ informado inválido (DV ou zeros)'],
  ['490', 'fatal-config', 'Rejeição: CPF informado inválido (DV ou zeros)'],
  // 213, 227, 655 and 657 come from the NT rule tables for events (not in the MOC table).
  ['213', 'event-rejected', 'Rejeição: CNPJ-Base do Autor difere do CNPJ-Base do Certificado Digital'],
  ['227', 'event-rejected', 'Rejeição: CPF do Autor difere do CPF do Certificado Digital'],
  ['491', 'event-rejected', 'Rejeição: O tpEvento informado inválido'],
  ['492', 'event-rejected', 'Rejeição: O verEvento informado inválido'],
  ['493', 'event-rejected', 'Rejeição: Evento não atende o Schema XML específico'],
  ['494', 'event-rejected', 'Rejeição: Chave de Acesso inexistente'],
  ['572', 'event-rejected', 'Rejeição: Erro Atributo ID do evento não corresponde a concatenação dos campos (“ID” + tpEvento + chNFe + nSeqEvento)'],
  ['573', 'event-duplicate', 'Rejeição: Duplicidade de Evento'],
  ['574', 'event-rejected', 'Rejeição: O autor do evento diverge do emissor da NF-e'],
  ['575', 'event-rejected', 'Rejeição: O autor do evento diverge do destinatário da NF-e'],
  ['577', 'event-rejected', 'Rejeição: A data do evento não pode ser menor que a data de emissão da NF-e'],
  ['578', 'event-rejected', 'Rejeição: A data do evento não pode ser maior que a data do processamento'],
  ['580', 'event-rejected', 'Rejeição: O evento exige uma NF-e autorizada'],
  ['587', 'fatal-config', 'Rejeição: Usar somente o namespace padrão da NF-e'],
  ['588', 'fatal-config', 'Rejeição: Não é permitida a presença de caracteres de edição no início/fim da mensagem ou entre as tags da mensagem'],
  ['589', 'fatal-config', 'Rejeição: Número do NSU informado superior ao maior NSU da base de dados da SEFAZ', [
    'Rejeicao: Numero do NSU informado superior ao maior NSU da base de dados doAmbiente Nacional',
  ]],
  ['593', 'fatal-config', 'Rejeição: CNPJ-Base consultado difere do CNPJ-Base do Certificado Digital'],
  ['594', 'event-rejected', 'Rejeição: O número de sequencia do evento informado é maior que o permitido'],
  ['595', 'event-rejected', 'Rejeição: Obrigatória a informação da justificativa do evento.'],
  ['596', 'event-rejected', 'Rejeição: Evento apresentado fora do prazo: [prazo vigente]'],
  ['632', 'unavailable', 'Rejeição: Solicitação fora de prazo, a NF-e não está mais disponível para download'],
  // 640 and 641 are not in the MOC table; their texts come from third parties.
  ['640', 'unavailable', 'Rejeição:CNPJ/CPF do interessado não possui permissão para consultar esta NF-e'],
  ['641', 'unavailable', 'Rejeicao: NF-e indisponivel para o emitente', ['Rejeicao: NF-e indisponivel para o emitente']],
  ['650', 'event-rejected', 'Rejeição: Evento de "Ciência da Emissão" para NF-e Cancelada ou Denegada'],
  ['651', 'event-rejected', 'Rejeição: Evento de "Desconhecimento da Operação" para NF-e Cancelada ou Denegada'],
  ['653', 'unavailable', 'Rejeição: NF-e Cancelada, arquivo indisponível para download'],
  ['654', 'unavailable', 'Rejeição: NF-e Denegada, arquivo indisponível para download'],
  ['655', 'event-duplicate', 'Rejeição: Evento de Ciência da Operação informado após a manifestação final do destinatário'],
  ['656', 'consumo-indevido', 'Rejeição: Consumo Indevido', [
    XMOTIVO_656_SEQUENCE,
    XMOTIVO_656_WAIT_HOUR,
    // seen in a third-party fixture
    'Consumo Indevido',
  ]],
  ['657', 'event-rejected', 'Rejeição: Código do Órgão diverge do órgão autorizador'],
  ['999', 'transient', 'Rejeição: Erro não catalogado (informar a mensagem de erro capturado no tratamento da exceção)'],
];

export const CSTAT_CATALOG: ReadonlyMap<string, CStatInfo> = new Map(
  ENTRIES.map(([cStat, cls, text, wire = []]) => [cStat, { cStat, class: cls, text, wire }]),
);

/** What a cStat means; a code outside the catalog is class `unknown`, never an exception. */
export function describeCStat(cStat: string): CStatInfo {
  return CSTAT_CATALOG.get(cStat) ?? { cStat, class: 'unknown', text: `cStat ${cStat} (not in the catalog)`, wire: [] };
}
