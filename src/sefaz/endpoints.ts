/**
 * The national environment's (AN) web services. Distribution is national only; the
 * recipient's events go to the AN too (cOrgao 91). Sources: schemas/sefaz/PROTOCOL.md.
 */
export type Environment = 'production' | 'homologation';

/** tpAmb as SEFAZ writes it. */
export type TpAmb = '1' | '2';

export function tpAmbOf(env: Environment): TpAmb {
  return env === 'production' ? '1' : '2';
}

export function environmentOf(tpAmb: string): Environment | null {
  return tpAmb === '1' ? 'production' : tpAmb === '2' ? 'homologation' : null;
}

export interface Endpoints {
  distribuicao: string;
  recepcaoEvento: string;
}

export const ENDPOINTS: Record<Environment, Endpoints> = {
  production: {
    distribuicao: 'https://www1.nfe.fazenda.gov.br/NFeDistribuicaoDFe/NFeDistribuicaoDFe.asmx',
    recepcaoEvento: 'https://www.nfe.fazenda.gov.br/NFeRecepcaoEvento4/NFeRecepcaoEvento4.asmx',
  },
  homologation: {
    distribuicao: 'https://hom1.nfe.fazenda.gov.br/NFeDistribuicaoDFe/NFeDistribuicaoDFe.asmx',
    recepcaoEvento: 'https://hom1.nfe.fazenda.gov.br/NFeRecepcaoEvento4/NFeRecepcaoEvento4.asmx',
  },
};

/** Paths the services live at, on SEFAZ and on the simulator alike. */
export const DIST_PATH = '/NFeDistribuicaoDFe/NFeDistribuicaoDFe.asmx';
export const EVENT_PATH = '/NFeRecepcaoEvento4/NFeRecepcaoEvento4.asmx';
