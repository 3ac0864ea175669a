/**
 * The raw material of the simulator's documents: places, names and goods that look like
 * the NF-e a Brazilian company receives. Texts are upper-case ASCII, as most issuers'
 * systems write them.
 */

export interface City {
  uf: string;
  cUF: string;
  cMun: string;
  xMun: string;
  /** First five digits of the city's CEPs. */
  cep5: string;
}

export const CITIES: readonly City[] = [
  { uf: 'SP', cUF: '35', cMun: '3550308', xMun: 'SAO PAULO', cep5: '01310' },
  { uf: 'SP', cUF: '35', cMun: '3509502', xMun: 'CAMPINAS', cep5: '13015' },
  { uf: 'SP', cUF: '35', cMun: '3548708', xMun: 'SAO BERNARDO DO CAMPO', cep5: '09750' },
  { uf: 'RJ', cUF: '33', cMun: '3304557', xMun: 'RIO DE JANEIRO', cep5: '20040' },
  { uf: 'MG', cUF: '31', cMun: '3106200', xMun: 'BELO HORIZONTE', cep5: '30130' },
  { uf: 'MG', cUF: '31', cMun: '3170206', xMun: 'UBERLANDIA', cep5: '38400' },
  { uf: 'PR', cUF: '41', cMun: '4106902', xMun: 'CURITIBA', cep5: '80010' },
  { uf: 'PR', cUF: '41', cMun: '4113700', xMun: 'LONDRINA', cep5: '86010' },
  { uf: 'RS', cUF: '43', cMun: '4314902', xMun: 'PORTO ALEGRE', cep5: '90010' },
  { uf: 'RS', cUF: '43', cMun: '4305108', xMun: 'CAXIAS DO SUL', cep5: '95010' },
  { uf: 'SC', cUF: '42', cMun: '4209102', xMun: 'JOINVILLE', cep5: '89201' },
  { uf: 'SC', cUF: '42', cMun: '4202404', xMun: 'BLUMENAU', cep5: '89010' },
  { uf: 'BA', cUF: '29', cMun: '2927408', xMun: 'SALVADOR', cep5: '40010' },
  { uf: 'GO', cUF: '52', cMun: '5208707', xMun: 'GOIANIA', cep5: '74003' },
  { uf: 'PE', cUF: '26', cMun: '2611606', xMun: 'RECIFE', cep5: '50030' },
  { uf: 'ES', cUF: '32', cMun: '3205309', xMun: 'VITORIA', cep5: '29010' },
  { uf: 'AM', cUF: '13', cMun: '1302603', xMun: 'MANAUS', cep5: '69005' },
  { uf: 'CE', cUF: '23', cMun: '2304400', xMun: 'FORTALEZA', cep5: '60025' },
];

export const STREETS: readonly string[] = [
  'RUA DAS INDUSTRIAS',
  'AVENIDA BRASIL',
  'RUA XV DE NOVEMBRO',
  'AVENIDA PAULISTA',
  'RUA SETE DE SETEMBRO',
  'RODOVIA BR 116 KM 12',
  'RUA DOM PEDRO II',
  'AVENIDA DAS NACOES',
  'RUA BARAO DO RIO BRANCO',
  'AVENIDA GETULIO VARGAS',
];

export const DISTRICTS: readonly string[] = ['CENTRO', 'DISTRITO INDUSTRIAL', 'JARDIM AMERICA', 'VILA NOVA', 'BOA VISTA'];

const NAME_TRADES: readonly string[] = [
  'COMERCIAL',
  'DISTRIBUIDORA',
  'INDUSTRIA E COMERCIO',
  'ATACADISTA',
  'TRANSPORTES',
  'METALURGICA',
  'PAPELARIA',
  'FERRAGENS',
  'ALIMENTOS',
  'QUIMICA',
  'EMBALAGENS',
  'AUTO PECAS',
];

const NAME_MARKS: readonly string[] = [
  'SAO JORGE',
  'BOA VISTA',
  'NOVA ERA',
  'SANTA CLARA',
  'ALVORADA',
  'PIONEIRA',
  'BANDEIRANTE',
  'PARANAENSE',
  'GAUCHA',
  'MINEIRA',
  'CAPIXABA',
  'DO VALE',
  'TRES IRMAOS',
  'PRIMAVERA',
  'ATLANTICO',
  'HORIZONTE',
];

const NAME_FORMS: readonly string[] = ['LTDA', 'S.A.', 'EIRELI', 'LTDA - EPP', 'LTDA ME', 'S/A'];

/** A company name from three picks (each pick a number in [0, 1)). */
export function companyName(trade: number, mark: number, form: number): string {
  const at = <T>(list: readonly T[], r: number): T => list[Math.floor(r * list.length)]!;
  return `${at(NAME_TRADES, trade)} ${at(NAME_MARKS, mark)} ${at(NAME_FORMS, form)}`;
}

export interface Product {
  xProd: string;
  NCM: string;
  uCom: string;
  /** Typical unit price, in cents. */
  cents: number;
}

export const PRODUCTS: readonly Product[] = [
  { xProd: 'PARAFUSO SEXTAVADO ACO ZINCADO 1/4 X 2', NCM: '73181500', uCom: 'CT', cents: 4590 },
  { xProd: 'CABO FLEXIVEL 2,5MM 750V ROLO 100M', NCM: '85444900', uCom: 'RL', cents: 28900 },
  { xProd: 'PAPEL SULFITE A4 75G RESMA 500 FOLHAS', NCM: '48025610', uCom: 'PCT', cents: 2890 },
  { xProd: 'OLEO LUBRIFICANTE 20W50 1L', NCM: '27101932', uCom: 'UN', cents: 3250 },
  { xProd: 'CAIXA PAPELAO ONDULADO 40X30X20', NCM: '48191000', uCom: 'UN', cents: 480 },
  { xProd: 'LUVA NITRILICA DESCARTAVEL CX 100', NCM: '40151900', uCom: 'CX', cents: 3990 },
  { xProd: 'DETERGENTE NEUTRO GALAO 5L', NCM: '34022000', uCom: 'GL', cents: 2150 },
  { xProd: 'CAFE TORRADO E MOIDO 500G', NCM: '09012100', uCom: 'PCT', cents: 1890 },
  { xProd: 'ROLAMENTO RIGIDO DE ESFERAS 6205', NCM: '84821010', uCom: 'UN', cents: 2790 },
  { xProd: 'TONER PARA IMPRESSORA LASER', NCM: '84439933', uCom: 'UN', cents: 18990 },
  { xProd: 'FILME STRETCH 500MM X 25 MICRAS', NCM: '39201099', uCom: 'RL', cents: 7450 },
  { xProd: 'CHAPA ACO CARBONO 2MM 1000X2000', NCM: '72085200', uCom: 'PC', cents: 41200 },
];

export const CANCEL_REASONS: readonly string[] = [
  'Erro na emissao da nota fiscal, dados do destinatario incorretos',
  'Nota fiscal emitida em duplicidade pelo sistema de faturamento',
  'Operacao cancelada a pedido do cliente antes da saida da mercadoria',
  'Valor dos produtos informado incorretamente na nota fiscal',
];

export const CORRECTIONS: readonly string[] = [
  'Corrigir o peso bruto para 125,000 kg e o peso liquido para 118,500 kg',
  'Onde se le endereco de entrega Rua das Industrias, 100, leia-se Rua das Industrias, 1000',
  'Incluir nas informacoes complementares o numero do pedido de compra 458812',
  'Corrigir a quantidade de volumes transportados para 12 caixas',
];

/** The text SEFAZ requires in every Carta de Correcao (NT 2011.003). */
export const CCE_CONDITIONS =
  'A Carta de Correcao e disciplinada pelo paragrafo 1o-A do art. 7o do Convenio S/N, de 15 de dezembro de 1970 ' +
  'e pode ser utilizada para regularizacao de erro ocorrido na emissao de documento fiscal, desde que o erro nao ' +
  'esteja relacionado com: I - as variaveis que determinam o valor do imposto tais como: base de calculo, aliquota, ' +
  'diferenca de preco, quantidade, valor da operacao ou da prestacao; II - a correcao de dados cadastrais que ' +
  'implique mudanca do remetente ou do destinatario; III - a data de emissao ou de saida.';

/** The national environment's own CNPJ (SERPRO), author of the CT-e/MDF-e events it registers (real samples). */
export const AN_EVENT_AUTHOR = '33683111000107';
